import numpy as np
import pytest

pytestmark = pytest.mark.tf_only

tfds = pytest.importorskip("tensorflow_datasets")

from keras_vit.data import load  # noqa: E402
from keras_vit.data.pipeline import make_dataset  # noqa: E402


def test_tfds_dataset_by_name_through_the_pipeline(tmp_path):
    with tfds.testing.mock_data(num_examples=12):
        data = load("tfds:cifar10", data_dir=str(tmp_path), val_size=4)
        assert data.num_classes == 10 and data.image_shape == (32, 32, 3)
        assert len(data.class_names) == 10
        raw = list(data.train.take(1).as_numpy_iterator())[0]
        ds = make_dataset(data.train, image_size=16, num_classes=10, batch_size=4, training=True, augment=("flip",))
        x, y = next(iter(ds.as_numpy_iterator()))
    assert raw[0].shape == (32, 32, 3) and raw[0].dtype == np.uint8
    assert x.shape == (4, 16, 16, 3) and y.shape == (4, 10)
    assert int(data.val.cardinality()) == 4 and int(data.train.cardinality()) == 8


def test_tfds_non_classification_dataset_is_refused(tmp_path):
    with tfds.testing.mock_data(num_examples=2):
        with pytest.raises(ValueError, match="image-classification dataset"):
            load("tfds:coco/2017", data_dir=str(tmp_path))
