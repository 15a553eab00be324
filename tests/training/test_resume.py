"""A run killed mid-epoch resumes from its last completed epoch (keras.callbacks.BackupAndRestore)."""

import csv
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from keras_vit.data import fashion_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = [
    pytest.mark.tf_only,
    pytest.mark.skipif(
        not os.path.exists(os.path.join(fashion_mnist.DEFAULT_DIR, "t10k-images-idx3-ubyte.gz")),
        reason="Debian's dataset-fashion-mnist is not installed",
    ),
]

SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import keras
    from keras_vit.data import Data, fashion_mnist
    from keras_vit.training import train

    out, marker, block = sys.argv[1], sys.argv[2], sys.argv[3] == "block"
    (x, y), (xt, yt) = fashion_mnist.load_data()
    data = Data(train=(x[:96], y[:96]), val=None, test=(xt[:32], yt[:32]), num_classes=10,
                image_shape=(28, 28, 1), class_names=None, description="slice")

    class BlockInSecondEpoch(keras.callbacks.Callback):
        # Stands for a machine that dies in the middle of epoch 1, after epoch 0's backup.
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1:
                open(marker, "w").close()
                time.sleep(600)

    result = train("fmnist", data=data, model="vit_tiny", epochs=3, batch_size=32, fewshot_shots=(),
                   out=out, name="run", save_saved_model=False, verbose=0,
                   callbacks=[BlockInSecondEpoch()] if block else [])
    iterations = int(keras.ops.convert_to_numpy(result.model.optimizer.iterations))
    print("RESULT" + json.dumps(dict(epochs=result.epochs, iterations=iterations)))
    """
)


def test_killed_run_resumes_without_lost_epochs(tmp_path):
    script, marker = tmp_path / "run.py", tmp_path / "in_epoch_1"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    args = [sys.executable, str(script), str(tmp_path / "runs"), str(marker)]
    first = subprocess.Popen(args + ["block"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 200
        while not marker.exists():
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.time() < deadline, "the first run never reached its second epoch"
            time.sleep(0.5)
    finally:
        first.kill()
        first.communicate()
    run_dir = tmp_path / "runs" / "run"
    assert (run_dir / "backup").exists()

    second = subprocess.run(args + ["go"], env=env, capture_output=True, text=True, timeout=200)
    assert second.returncode == 0, second.stderr[-3000:]
    result = json.loads([x for x in second.stdout.splitlines() if x.startswith("RESULT")][-1][len("RESULT") :])
    # Epoch 0 was not repeated: the restart ran epochs 1 and 2, and the optimizer's step count and schedule
    # continued from epoch 0's backup (3 steps per epoch).
    assert result == dict(epochs=2, iterations=9)
    with open(run_dir / "log.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2]
    assert not (run_dir / "backup").exists()


def test_a_backup_resumes_only_the_run_it_was(tmp_path):
    import pytest

    from keras_vit.training import get_recipe, run

    backup = str(tmp_path / "run" / "backup")
    config = get_recipe("fmnist").__class__(model="vit_tiny", epochs=8)
    assert run.guard_backup(config, backup) == backup
    run.guard_backup(config, backup)  # the same run restarted
    quieter = get_recipe("fmnist").__class__(model="vit_tiny", epochs=8, verbose=0, time_budget_min=5)
    run.guard_backup(quieter, backup)  # how it prints and how long it may run may change
    with pytest.raises(ValueError, match=r"other settings \(epochs, lr\).*another --name.*backup/"):
        run.guard_backup(get_recipe("fmnist").__class__(model="vit_tiny", epochs=3, lr=0.1), backup)


def test_read_finished_run_returns_the_results_only_of_a_run_with_the_settings_asked_for(tmp_path):
    from keras_vit.training.run import read_finished_run, write_results

    assert read_finished_run(str(tmp_path / "never_ran"), epochs=3) is None  # no results.json: not finished
    results = dict(config=dict(epochs=3, lr=0.002, init_from=None), test_accuracy=0.875)
    write_results(str(tmp_path / "results.json"), results)
    assert read_finished_run(str(tmp_path), epochs=3, init_from=None) == results
    assert read_finished_run(str(tmp_path)) == results  # nothing asked for: any finished run
    assert read_finished_run(str(tmp_path), epochs=3, lr=0.001) is None  # one setting differs
    assert read_finished_run(str(tmp_path), seed=0) is None  # a setting the run does not record
