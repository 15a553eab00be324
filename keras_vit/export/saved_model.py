from keras_vit.deploy.saved_model import export_saved_model  # noqa: F401  (moved to keras_vit.deploy)
