"""The torch-free `.safetensors` and `torch.save` readers against files torch itself wrote."""

import numpy as np
import pytest
from torch_subprocess import requires, run_torch

from keras_vit.weights import formats

SCRIPT = """
import torch, safetensors.torch
torch.manual_seed(0)
x = torch.randn(4, 6)
tensors = {
    "transposed": x.t(),  # strides (1, 6)
    "sliced": torch.arange(10.0)[2:7],  # storage offset 2
    "bfloat16": torch.randn(2, 3).bfloat16(),
    "float16": torch.randn(3).half(),
    "parameter": torch.nn.Parameter(torch.randn(2, 2)),
}
torch.save({"model": tensors, "epoch": 3, "args": {"lr": 0.1}}, f"{workdir}/wrapped.pth")
torch.save({"state_dict": tensors}, f"{workdir}/legacy.bin", _use_new_zipfile_serialization=False)
safetensors.torch.save_file({k: v.detach().contiguous() for k, v in tensors.items()}, f"{workdir}/model.safetensors")
for name, value in tensors.items():
    outputs[name] = value.detach().float().numpy()
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("readers")
    return workdir, run_torch(SCRIPT, {}, workdir)


@requires("torch", "safetensors")
@pytest.mark.parametrize("name", ["wrapped.pth", "legacy.bin", "model.safetensors"])
def test_reads_what_torch_wrote(files, name):
    workdir, want = files
    got = formats.read_arrays(workdir / name)
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        np.testing.assert_array_equal(got[key].astype("float32"), value, err_msg=key)
    assert got["float16"].dtype == np.float16 and got["bfloat16"].dtype == np.float32


@requires("torch", "safetensors")
@pytest.mark.parametrize(
    "name, cut, match",
    [
        ("wrapped.pth", 0.5, "zip archive cut short"),
        ("legacy.bin", 0.9, "truncated, corrupt"),
        ("model.safetensors", 0.9, "describes .* bytes of data but the file holds"),
        ("model.safetensors", 0.0, "too short"),
    ],
)
def test_truncated_files_name_the_problem(files, tmp_path, name, cut, match):
    workdir, _ = files
    data = (workdir / name).read_bytes()
    damaged = tmp_path / name
    damaged.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ValueError, match=match) as error:
        formats.read_arrays(damaged)
    assert str(damaged) in str(error.value)


def test_a_pickle_without_tensors_is_named(tmp_path):
    import pickle
    import zipfile

    path = tmp_path / "empty.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("empty/data.pkl", pickle.dumps({"epoch": 3}))
    with pytest.raises(ValueError, match="holds no state dict of tensors"):
        formats.read_arrays(path)
