"""Export for serving (TensorFlow backend): `export_saved_model` writes a TF Serving SavedModel."""

from keras_vit.export.saved_model import export_saved_model

__all__ = ["export_saved_model"]
