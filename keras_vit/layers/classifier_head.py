import keras


@keras.saving.register_keras_serializable(package="keras_vit")
class ClassifierHead(keras.layers.Dense):
    """The classification `Dense` layer, carrying the names of its classes where the weights gave them.

    A `Dense` in every respect (weights, call, FLOPs); `class_names` is in its config, so the names survive a
    `.keras` round trip and reach `decode_predictions(..., model=model)` and `keras_vit.export`'s `top_k_classes`.
    Loading a checkpoint that names its classes (a transformers `config.json`'s `id2label`) sets them.

    Args:
        units: the number of classes.
        class_names: one name per class, or None.
        **kwargs: as `keras.layers.Dense`.
    """

    def __init__(self, units, class_names=None, **kwargs):
        super().__init__(units, **kwargs)
        self.class_names = class_names

    @property
    def class_names(self):
        return self._class_names

    @class_names.setter
    def class_names(self, names):
        if names is not None:
            names = tuple(str(name) for name in names)
            if len(names) != self.units:
                raise ValueError(
                    f"`class_names` must have one name per class ({self.units}). Received: {len(names)} names"
                )
        self._class_names = names

    def get_config(self):
        config = super().get_config()
        config["class_names"] = None if self.class_names is None else list(self.class_names)
        return config
