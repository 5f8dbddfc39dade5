"""CMU 11-785 (Introduction to Deep Learning), the "mytorch" homeworks: ``mlp`` (HW1P1), ``old`` (2020-2021),
``cnn`` and ``pool`` (HW2P1's convolutions, pools and resampling, built as ``built`` says),
``models`` (HW1P1's MLP0, MLP1, MLP4), ``rnn`` and ``gru`` (HW3P1's RNNCell and GRU cells).

Students' files import the handout's own package (``from mytorch.nn.activation import ...``),
which is how a file is recognized as the course's. Targets are named ``cmu.CLASS``, the
student's class being ``CLASS``. The handouts change each term; a row notes which term's
convention the student's code follows when it is not the current one (``derivative()``
instead of ``backward(dLdA)``: Fall 2020-2021).
"""

from oracle.course.reference import Course
from oracle.courses.cmu11785 import cnn, gru, mlp, models, old, pool, rnn

COURSE = Course(
    "cmu11785", "CMU 11-785 mytorch, HW1P1 (Fall 2020 to Spring 2025 handouts)", modules=("mytorch",)
)

__all__ = ["COURSE", "cnn", "gru", "mlp", "models", "old", "pool", "rnn"]
