"""The course's vision layers (assignment 2), one module each: importing this declares them all.

- ``vision_conv``: ``conv_forward_naive``/``conv_backward_naive`` and ``max_pool_*_naive``;
- ``vision_dropout``: ``dropout_forward``/``dropout_backward``, either meaning of ``p``;
- ``vision_norms``: ``batchnorm`` (and ``batchnorm_backward_alt``), ``spatial_batchnorm``,
  ``layernorm``, ``spatial_groupnorm``;
- ``vision_sandwiches``: ``layer_utils.py``'s ``affine_relu``, ``affine_bn_relu``,
  ``affine_ln_relu``, ``conv_relu``, ``conv_relu_pool``, ``conv_bn_relu``.

Their JAX references are in ``vision_jax``, their samplers and kinks in ``vision_samplers``,
the student's side of their calls in ``oracle.courses.cs231n.calls_vision``, and their classic
bugs in each declaration (``oracle.course.judging.bugs`` names them in the rows they fail).
"""

from oracle.courses.cs231n import vision_conv, vision_dropout, vision_norms, vision_sandwiches

__all__ = ["NAMES", "vision_conv", "vision_dropout", "vision_norms", "vision_sandwiches"]

# the names declared here
NAMES = frozenset(
    [
        "conv_naive",
        "max_pool_naive",
        "dropout",
        "batchnorm",
        "batchnorm_alt",
        "spatial_batchnorm",
        "layernorm",
        "spatial_groupnorm",
        "affine_relu",
        "affine_bn_relu",
        "affine_ln_relu",
        "conv_relu",
        "conv_relu_pool",
        "conv_bn_relu",
    ]
)
