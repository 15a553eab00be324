"""`keras-vit models --small`: one row per small model of the preset table, its parameters counted from the model."""

from keras_vit import cli
from keras_vit.models.catalog import small_models


def test_small_models_table(capsys):
    assert cli.main(["models", "--small"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows]
    assert names == list(small_models())
    builder, arguments = small_models()["vit_fmnist_p7"]
    params = builder(**arguments).count_params()
    row = rows[names.index("vit_fmnist_p7")]
    assert row.split("|")[3].strip() == f"{params / 1e6:.1f}M"
