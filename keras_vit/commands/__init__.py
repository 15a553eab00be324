"""Sub-commands of `keras-vit`; `common` holds what several of them share."""
