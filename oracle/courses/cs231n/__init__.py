"""CS231n (Stanford, "CNNs for Visual Recognition"), 2016-2023, and its lecture's gates.

Importing this package declares its targets, one module per part of the course:

- ``basic``: the lecture's gates, ``layers.py``'s elementwise pairs and the two losses;
- ``classifiers``: assignment 1's linear classifiers; ``models``: ``TwoLayerNet``, ``FullyConnectedNet``;
- ``convnet``: assignment 2's ``ThreeLayerConvNet``;
- ``sequence``: assignment 3's ``rnn_layers.py``;
- ``vision``: assignment 2's conv, pooling, the norms, dropout and ``layer_utils.py``.
"""

from oracle.course.reference import Course
from oracle.courses.cs231n import basic, classifiers, convnet, cython_stand_ins, models, sequence
from oracle.courses.cs231n import vision as vision

# the second assignment's layers, every year; from 2022 on the first's layers.py ships them as
# templates (a first assignment done right leaves them so)
SECOND: tuple[str, ...] = ("conv_naive", "max_pool_naive", "dropout", "batchnorm", "batchnorm_alt")
SECOND += ("spatial_batchnorm", "layernorm", "spatial_groupnorm")

COURSE = Course(
    "cs231n",
    "CS231n (Stanford), assignments 2016-2023",
    modules=("cs231n",),
    params={
        "conv_param": {"stride": 1, "pad": 1},
        "pool_param": {"pool_height": 2, "pool_width": 2, "stride": 2},
        "bn_param": {"mode": "train"},
        "ln_param": {},
        "gn_param": {},
        "dropout_param": {"mode": "train", "p": 0.5, "seed": 0},
    },
    stand_ins={"im2col_cython": cython_stand_ins},  # fast_layers.py's extension, when not built
    assignments=dict.fromkeys(SECOND, 2),
    scalars={
        "G": 2
    },  # group norm's number of groups: a student's own groupnorm_forward(x, gamma, beta, G, ...)
)

__all__ = ["COURSE", "basic", "classifiers", "convnet", "models", "sequence", "vision"]
