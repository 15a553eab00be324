"""Mutation testing: put one small plausible bug into a copy of the tree, run the tests that should catch it.

    .venv/bin/python tools/mutants.py            # every mutation of tools/mutations.py (`make mutants`)
    .venv/bin/python tools/mutants.py -k fewshot # those whose file or description contains "fewshot"
    .venv/bin/python tools/mutants.py --list     # the list, without running anything

For each mutation the working tree (tracked files and untracked ones git does not ignore) is copied to a
temporary folder, the mutation's exact snippet is replaced there, and its targeted tests run in that copy with
the TensorFlow backend (`pytest -x -q -p no:cacheprovider`, through this interpreter). A mutation is

    killed    the tests failed (pytest exit 1): a test caught the bug;
    survived  the tests passed: no test sees the bug;
    error     the snippet is not in the file, or is there more than once (the code changed under the list), or
              pytest could not run (no tests collected, usage error, timeout): reported, never counted as killed.

The unmutated copy runs every targeted test file once as well (the baseline): if it fails, "killed" means
nothing and the run fails. The score is killed / (killed + survived + error); below `--threshold` (95 %) the
exit status is 1. Runs at most two mutations at a time (`--jobs`).
"""

import argparse
import concurrent.futures
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mutations import MUTATIONS  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_JOBS = 2


@dataclasses.dataclass
class Outcome:
    name: str
    status: str  # "killed", "survived", "error", "baseline-ok", "baseline-failed"
    seconds: float
    detail: str = ""


def tree_files(repo):
    """The working tree's files: tracked (still present) and untracked ones that git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({path for path in listed.split("\0") if path and os.path.isfile(os.path.join(repo, path))})


def copy_tree(repo, files, target):
    for path in files:
        destination = os.path.join(target, path)
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        shutil.copy2(os.path.join(repo, path), destination)


def apply(mutation, root):
    """Applies `mutation` under `root`; returns None, or why it cannot be applied."""
    path = os.path.join(root, mutation.file)
    if not os.path.isfile(path):
        return f"no file {mutation.file}"
    with open(path, encoding="utf-8") as f:
        text = f.read()
    count = text.count(mutation.original)
    if count != 1:
        return f"snippet found {count} times in {mutation.file} (stale or ambiguous): {mutation.original[:60]!r}"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(mutation.original, mutation.replacement))
    return None


def pytest_env(root):
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND="tensorflow",
        # The copy's keras_vit, not the editable install's (which points at the original tree).
        PYTHONPATH=root + os.pathsep + env.get("PYTHONPATH", ""),
        PYTHONDONTWRITEBYTECODE="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        # Two runs share the machine: one thread each.
        OMP_NUM_THREADS="1",
        TF_NUM_INTRAOP_THREADS="1",
        TF_NUM_INTEROP_THREADS="1",
    )
    return env


def run_pytest(root, tests, timeout):
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        result = subprocess.run(
            command, cwd=root, env=pytest_env(root), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return result.returncode, lines[-1] if lines else ""


def run_one(name, mutation, files, timeout):
    """Copies the tree, applies `mutation` (None: the baseline), runs the tests; returns an `Outcome`."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutant-") as root:
        copy_tree(REPO, files, root)
        if mutation is None:
            tests = sorted({test.split("::")[0] for m in MUTATIONS for test in m.tests})
        else:
            tests = list(mutation.tests)
            problem = apply(mutation, root)
            if problem:
                return Outcome(name, "error", time.monotonic() - start, problem)
        missing = [t for t in tests if not os.path.exists(os.path.join(root, t.split("::")[0]))]
        if missing:
            return Outcome(name, "error", time.monotonic() - start, f"no test file {missing}")
        if mutation is None:
            # Every test file once, without -x, so that one report names every failing file.
            command_tests = tests
            code, last = run_pytest_all(root, command_tests, timeout * 4)
        else:
            code, last = run_pytest(root, tests, timeout)
    seconds = time.monotonic() - start
    if mutation is None:
        return Outcome(name, "baseline-ok" if code == 0 else "baseline-failed", seconds, last)
    if code == 1:
        return Outcome(name, "killed", seconds, last)
    if code == 0:
        return Outcome(name, "survived", seconds, last)
    return Outcome(name, "error", seconds, f"pytest exit {code}: {last}")


def run_pytest_all(root, tests, timeout):
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    try:
        result = subprocess.run(
            command, cwd=root, env=pytest_env(root), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return result.returncode, "; ".join(failed[:5]) or (lines[-1] if lines else "")


def label(index, mutation):
    return f"{index:02d} {mutation.file.removeprefix('keras_vit/')}: {mutation.description}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", dest="select", help="only mutations whose file or description contains this")
    parser.add_argument("--ids", help="only these mutation numbers, comma-separated (as the table numbers them)")
    parser.add_argument("--jobs", type=int, default=MAX_JOBS, help=f"parallel runs (at most {MAX_JOBS})")
    parser.add_argument("--threshold", type=float, default=95.0, help="minimum score in percent")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per mutation")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the targeted tests")
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    args = parser.parse_args(argv)

    chosen = [
        (i, m)
        for i, m in enumerate(MUTATIONS, start=1)
        if (not args.select or args.select in m.file or args.select in m.description)
        and (not args.ids or i in {int(n) for n in args.ids.split(",")})
    ]
    if args.list:
        for i, m in chosen:
            print(f"{label(i, m)}\n    tests: {' '.join(m.tests)}")
        return 0
    files = tree_files(REPO)
    jobs = max(1, min(args.jobs, MAX_JOBS))
    print(f"{len(chosen)} mutations, {jobs} at a time, TensorFlow backend", flush=True)
    outcomes = {}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(run_one, label(i, m), m, files, args.timeout): i for i, m in chosen}
        if not args.no_baseline:  # last: it holds one slot for as long as all the targeted tests take
            futures[pool.submit(run_one, "baseline", None, files, args.timeout)] = 0
        for future in concurrent.futures.as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            print(f"  {outcome.status:<15} {outcome.seconds:5.0f} s  {outcome.name}", flush=True)

    print("\n| # | mutation | status | seconds | last line / why |\n|---|---|---|---|---|")
    for key in sorted(outcomes):
        o = outcomes[key]
        print(f"| {key} | {o.name} | {o.status} | {o.seconds:.0f} | {o.detail[:100]} |")
    counts = {s: sum(o.status == s for k, o in outcomes.items() if k) for s in ("killed", "survived", "error")}
    total = sum(counts.values())
    score = 100.0 * counts["killed"] / total if total else 0.0
    print(
        f"\nkilled {counts['killed']}, survived {counts['survived']}, error {counts['error']} of {total}: "
        f"score {score:.1f} % (threshold {args.threshold:.0f} %)"
    )
    for o in (outcomes[k] for k in sorted(outcomes) if k and outcomes[k].status != "killed"):
        print(f"  {o.status}: {o.name}  [{o.detail}]")
    baseline = outcomes.get(0)
    if baseline is not None and baseline.status != "baseline-ok":
        print(f"the unmutated tree fails its targeted tests, so the score means nothing: {baseline.detail}")
        return 1
    return 0 if score >= args.threshold else 1


if __name__ == "__main__":
    sys.exit(main())
