"""Michael Nielsen's "Neural Networks and Deep Learning" (network.py, network2.py) and its Python 3 ports.

Importing this package declares its targets (``network``): the ``Network`` class's
``backprop(x, y)`` for one column-vector example, and ``network2.py``'s cost classes.
"""

from oracle.course.reference import Course
from oracle.courses.nielsen import costs, network

COURSE = Course(
    "nielsen",
    "Nielsen, Neural Networks and Deep Learning (network.py, network2.py), 2015, and its Python 3 ports",
    modules=("mnist_loader",),
)

__all__ = ["COURSE", "costs", "network"]
