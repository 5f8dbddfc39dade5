"""CMU 11-785 (Introduction to Deep Learning), the "mytorch" homeworks: ``mlp`` (HW1P1), ``old`` (2020-2021),
``cnn`` and ``pool`` (HW2P1's convolutions, pools and resampling, built as ``built`` says),
``models`` (HW1P1's MLP0, MLP1, MLP4), ``rnn`` and ``gru`` (HW3P1's RNNCell and GRU cells).

Students' files import the handout's own package (``from mytorch.nn.activation import ...``),
which is how a file is recognized as the course's. Targets are named ``cmu.CLASS``, the
student's class being ``CLASS``. The handouts change each term; a row notes which term's
convention the student's code follows when it is not the current one (``derivative()``
instead of ``backward(dLdA)``: Fall 2020-2021; ``backward()`` returning dA/dZ: some terms' HW2P1).
"""

import importlib

from oracle.course.reference import Course

# Imported in this order, which is the order rows and lists show their targets in: HW1's first,
# as before HW2P1's and the models were added (an import sorted by name would put pools first).
ORDER = ("mlp", "old", "rnn", "models", "pool", "cnn", "gru")
for _module in ORDER:
    importlib.import_module(f"{__name__}.{_module}")

COURSE = Course(
    "cmu11785", "CMU 11-785 mytorch, HW1P1 (Fall 2020 to Spring 2025 handouts)", modules=("mytorch",)
)

__all__ = ["COURSE", "ORDER"]
