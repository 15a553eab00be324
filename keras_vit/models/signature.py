"""Public builders whose `keras.applications`-style signature is derived from the one builder's keywords.

`ViT` and `ViTHybrid` take the arguments of `build_vit` (the hybrid adds its ResNet's) with their own defaults;
writing those twenty-odd keywords out again in each would be three copies of one list to keep in step.
"""

import inspect

_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
# The arguments of every keras.applications constructor, in their order.
KERAS_APPLICATIONS = (
    "include_top",
    "weights",
    "input_tensor",
    "input_shape",
    "pooling",
    "classes",
    "classifier_activation",
)


def derived_signature(builder, defaults, hidden=(), extra=None, after=None):
    """`builder`'s parameters minus `hidden`, positional-or-keyword, with `defaults` in place of its own.

    `extra` (`{name: default}`) is inserted after the parameter `after`.
    """
    parameters = []
    for parameter in inspect.signature(builder).parameters.values():
        if parameter.name in hidden or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        default = defaults.get(parameter.name, parameter.default)
        parameters.append(inspect.Parameter(parameter.name, _POSITIONAL, default=default))
        if parameter.name == after:
            parameters.extend(inspect.Parameter(name, _POSITIONAL, default=d) for name, d in (extra or {}).items())
    return inspect.Signature(parameters)


def selected_signature(builder, names, defaults, var_keyword="kwargs"):
    """The parameters `names` of `builder`, in that order, with `defaults`, then `**var_keyword` for the rest."""
    own = inspect.signature(builder).parameters
    parameters = [inspect.Parameter(n, _POSITIONAL, default=defaults.get(n, own[n].default)) for n in names]
    parameters.append(inspect.Parameter(var_keyword, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(parameters)


def public_builder(builder, signature, name, doc, module):
    """A function with `signature` (shown by `help` and `inspect`) that calls `builder` with every argument bound."""

    def build(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        for parameter in signature.parameters.values():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                arguments.update(arguments.pop(parameter.name, {}))
        return builder(**arguments)

    build.__signature__ = signature
    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    build.__module__ = module
    return build
