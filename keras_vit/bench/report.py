"""The benchmark's outputs: a terminal table, CSV, JSON, a PNG bar chart, and the targets' standing."""

import csv
import json
import os

from keras_vit.bench.harness import OURS

# (peer runner, keras_vit best ÷ that peer's best must reach this) for S/16 and B/16 inference.
PEER_TARGETS = (("timm", 1.0), ("keras_hub", 1.2), ("vit_keras", 1.5))
TARGET_MODELS = ("S/16", "B/16")
GEMM_FRACTION_TARGET = ("B/16", 0.5)
# keras_vit's best path (any backend, format, precision) ÷ the best of every other implementation.
BEST_PEER_TARGET = 1.0

CSV_FIELDS = (
    "model",
    "task",
    "batch",
    "dtype",
    "n",
    "config",
    "runner",
    "backend",
    "unit",
    "median",
    "p25",
    "p75",
    "min",
    "max",
    "samples",
    "ratio_to_keras_vit_best",
    "flops_per_image",
    "gflops_per_s",
    "fraction_of_gemm_peak",
    "gemm_peak_gflops",
    "gemm_peak_config",
    "fraction_of_precision_peak",
    "precision_peak_gflops",
    "precision_peak_config",
    "peak_rss_mb",
    "max_abs_diff",
    "max_abs_diff_tanh_gelu",
    "logit_scale",
    "first_call_s",
    "load_average",
)


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def _percent(fraction):
    return _fmt(None if fraction is None else 100 * fraction, ".0f")


def _groups(records, task):
    """Rows compared with each other, by (model, batch, dtype): inference across precisions (dtype None),
    training per precision."""
    groups = {}
    for r in records:
        if r["task"] == task:
            groups.setdefault((r["model"], r["batch"], None if task == "infer" else r["dtype"]), []).append(r)
    return groups


def _label(record):
    """A row's name in a group that may hold several precisions of one configuration."""
    return record["config"] if record["dtype"] == "float32" else f"{record['config']} {record['dtype']}"


def best_versus_peers(results):
    """Per (model, batch) of the inference rows: keras_vit's best path and the best other implementation's,
    at any precision: `[{model, batch, ours, ours_rate, peer, peer_rate, ratio}]`."""
    out = []
    for (model, batch, _), group in _groups(results["records"], "infer").items():
        ours = [r for r in group if r["runner"] in OURS]
        peers = [r for r in group if r["runner"] not in OURS]
        if not ours or not peers:
            continue
        best = max(ours, key=lambda r: r["median"])
        peer = max(peers, key=lambda r: r["median"])
        out.append(
            dict(
                model=model,
                batch=batch,
                ours=_label(best),
                ours_rate=best["median"],
                peer=_label(peer),
                peer_rate=peer["median"],
                ratio=best["median"] / peer["median"],
            )
        )
    return out


def targets(results):
    """The stated targets and where this run stands: `[{target, value, threshold, met}]`."""
    out = []
    records = results["records"]
    for (model, batch, _), group in _groups(records, "infer").items():
        if model not in TARGET_MODELS:
            continue
        ours = [r["median"] for r in group if r["runner"] in OURS]
        if not ours:
            continue
        for peer, threshold in PEER_TARGETS:
            theirs = [r["median"] for r in group if r["runner"] == peer]
            if theirs:
                value = max(ours) / max(theirs)
                out.append(
                    dict(
                        target=f"{model} inference batch {batch}: keras_vit best ÷ {peer} best",
                        value=value,
                        threshold=threshold,
                        met=value >= threshold,
                    )
                )
        if model == GEMM_FRACTION_TARGET[0]:
            best = max((r for r in group if r["runner"] in OURS), key=lambda r: r["median"])
            if best.get("fraction_of_gemm_peak") is not None:
                value = best["fraction_of_gemm_peak"]
                out.append(
                    dict(
                        target=f"{model} inference batch {batch}: keras_vit best ({_label(best)}) fraction of GEMM peak",
                        value=value,
                        threshold=GEMM_FRACTION_TARGET[1],
                        met=value >= GEMM_FRACTION_TARGET[1],
                    )
                )
    for entry in best_versus_peers(results):
        if entry["model"] in TARGET_MODELS:
            out.append(
                dict(
                    target=f"{entry['model']} inference batch {entry['batch']}: keras_vit best ({entry['ours']}) "
                    f"÷ best peer ({entry['peer']})",
                    value=entry["ratio"],
                    threshold=BEST_PEER_TARGET,
                    met=entry["ratio"] >= BEST_PEER_TARGET,
                )
            )
    return out


def cpu_lines(machine):
    """The CPU's model name and the instruction-set flags the runtimes' fast paths use."""
    flags = machine.get("cpu_flags") or {}
    listed = ", ".join(f"{flag} {'yes' if present else 'no'}" for flag, present in flags.items())
    return [f"CPU: {machine['cpu']}, {machine['cores']} cores" + (f"; flags: {listed}" if listed else "") + "."]


def gemm_rate_lines(results):
    """The fastest GEMM of each precision in the run (int8 counts integer operations)."""
    peaks = results.get("peak_gemms") or {}
    if not peaks:
        return []
    rates = "; ".join(
        f"{dtype} {peak['gflops']:.1f} G{'OP' if dtype == 'int8' else 'FLOP'}/s ({peak['config']}, n={peak['n']})"
        for dtype, peak in peaks.items()
        if peak
    )
    return [f"Matrix-product rates (fastest of the run): {rates}."]


def table(results):
    """The whole run as aligned text (Markdown tables), ready for a terminal or a README."""
    records = results["records"]
    machine = results["machine"]
    lines = cpu_lines(machine) + gemm_rate_lines(results)
    lines += [
        f"Load average at start {results['load_average_start'][0]:.2f}, at end {results['load_average_end'][0]:.2f}; "
        f"{results['wall_s'] / 60:.1f} min; {results['plan']['rounds']} interleaved rounds.",
        "",
    ]
    gemms = [r for r in records if r["task"] == "gemm"]
    if gemms:
        lines += ["GEMM (one n×n matmul), GFLOP/s, in each phase's rounds:", ""]
        lines += ["| phase | config | n | dtype | median | IQR | min–max |", "|---|---|---:|---|---:|---:|---:|"]
        for r in gemms:
            lines.append(
                f"| {r.get('phase', '')} | {r['config']} | {r['n']} | {r['dtype']} | {r['median']:.1f} "
                f"| {r['p25']:.1f}–{r['p75']:.1f} | {r['min']:.1f}–{r['max']:.1f} |"
            )
        peak = results.get("peak_gemm")
        if peak:
            lines += [
                "",
                f"Fastest float32 GEMM of the run: {peak['gflops']:.1f} GFLOP/s ({peak['config']}, n={peak['n']}). "
                "'% GEMM peak' divides by the fastest float32 GEMM timed in the same phase (same rounds, same load), "
                "'% own dtype' by the fastest GEMM of the row's precision (float32, bfloat16 or int8).",
            ]
        lines.append("")
    titles = {"infer": "Inference", "train": "Training step (forward + backward + AdamW)"}
    for task in ("infer", "train"):
        groups = _groups(records, task)
        if not groups:
            continue
        lines += [f"{titles[task]}, images/s (median of all calls; IQR; min–max):", ""]
        header = (
            "| model | batch | dtype | config | images/s | IQR | min–max | × keras_vit best | GFLOP/s | % GEMM peak "
            "| % own dtype | peak RSS MiB |"
        )
        align = "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        if task == "infer":
            header += " max abs diff | with tanh GELU |"
            align += "---:|---:|"
        lines += [header, align]
        for (model, batch, _), group in groups.items():
            for r in sorted(group, key=lambda r: -r["median"]):
                row = (
                    f"| {model} | {batch} | {r['dtype']} | {r['config']} | {r['median']:.2f} "
                    f"| {r['p25']:.2f}–{r['p75']:.2f} | {r['min']:.2f}–{r['max']:.2f} "
                    f"| {_fmt(r.get('ratio_to_keras_vit_best'), '.2f')} | {_fmt(r.get('gflops_per_s'), '.1f')} "
                    f"| {_percent(r.get('fraction_of_gemm_peak'))} | {_percent(r.get('fraction_of_precision_peak'))} "
                    f"| {_fmt(r.get('peak_rss_mb'), '.0f')} |"
                )
                if task == "infer":
                    row += f" {_fmt(r.get('max_abs_diff'), '.1e')} | {_fmt(r.get('max_abs_diff_tanh_gelu'), '.1e')} |"
                lines.append(row)
        lines.append("")
    versus = best_versus_peers(results)
    if versus:
        lines += ["keras_vit's best path ÷ the best peer path (inference, any precision):", ""]
        lines += ["| model | batch | keras_vit best | images/s | best peer | images/s | ratio |"]
        lines += ["|---|---:|---|---:|---|---:|---:|"]
        for v in versus:
            lines.append(
                f"| {v['model']} | {v['batch']} | {v['ours']} | {v['ours_rate']:.2f} | {v['peer']} "
                f"| {v['peer_rate']:.2f} | {v['ratio']:.2f} |"
            )
        lines.append("")
    standing = targets(results)
    if standing:
        lines += ["Targets:", ""]
        for t in standing:
            lines.append(
                f"- {t['target']}: {t['value']:.2f} (target ≥ {t['threshold']}) {'met' if t['met'] else 'MISSED'}"
            )
        lines.append("")
    if results["skipped"]:
        lines += ["Skipped:", ""]
        for s in results["skipped"]:
            lines.append(f"- {s['phase']} / {s['config']}: {s['reason']}")
        lines.append("")
    return "\n".join(lines)


def write_csv(results, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=("phase",) + CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for r in results["records"]:
            writer.writerow({**r, "first_call_s": r["info"].get("first_call_s")})
    return path


def write_json(results, path):
    with open(path, "w") as f:
        json.dump(dict(results, targets=targets(results)), f, indent=1, default=str)
    return path


def plot(results, path):
    """One panel per (task, batch, dtype): bars per configuration for each model, IQR as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for task in ("infer", "train"):
        for key, group in _groups(results["records"], task).items():
            panels.append((task, key, group))
    # One panel per (task, batch, dtype), models side by side.
    merged = {}
    for task, (model, batch, dtype), group in panels:
        merged.setdefault((task, batch, dtype), {})[model] = group
    if not merged:
        merged[("none", None, None)] = {}
    fig, axes = plt.subplots(len(merged), 1, figsize=(10, 3.2 * len(merged)), squeeze=False)
    names = sorted({_label(r) for by_model in merged.values() for group in by_model.values() for r in group})
    colours = {name: plt.get_cmap("tab10")(i % 10) for i, name in enumerate(names)}
    for ax, ((task, batch, dtype), by_model) in zip(axes[:, 0], merged.items()):
        configs = sorted({_label(r) for group in by_model.values() for r in group})
        models = list(by_model)
        width = 0.8 / max(len(configs), 1)
        for j, config in enumerate(configs):
            xs, heights, lows, highs = [], [], [], []
            for i, model in enumerate(models):
                r = next((r for r in by_model[model] if _label(r) == config), None)
                if r is None:
                    continue
                xs.append(i + (j - (len(configs) - 1) / 2) * width)
                heights.append(r["median"])
                lows.append(r["median"] - r["p25"])
                highs.append(r["p75"] - r["median"])
            ax.bar(xs, heights, width, yerr=[lows, highs], capsize=2, label=config, color=colours[config])
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models)
        ax.set_yscale("log")
        ax.set_ylabel("images/s")
        title = {"infer": "inference", "train": "training step"}.get(task, task)
        ax.set_title(f"{title}, batch {batch}{'' if dtype is None else ', ' + dtype} (median, IQR bars)")
        ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_all(results, out_dir, stem="bench"):
    """Writes `{stem}.csv`, `{stem}.json`, `{stem}.png` and `{stem}.md` (the table); returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = dict(
        csv=write_csv(results, os.path.join(out_dir, f"{stem}.csv")),
        json=write_json(results, os.path.join(out_dir, f"{stem}.json")),
        png=plot(results, os.path.join(out_dir, f"{stem}.png")),
    )
    paths["md"] = os.path.join(out_dir, f"{stem}.md")
    with open(paths["md"], "w") as f:
        f.write(table(results) + "\n")
    return paths
