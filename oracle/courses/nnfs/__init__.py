"""Neural Networks from Scratch in Python (Harrison Kinsley and Daniel Kukiela, 2020).

Importing this package declares its targets, the book's classes by their names:

- ``layers``: ``Layer_Dense`` and the activations ``Activation_ReLU``, ``Activation_Softmax``,
  ``Activation_Sigmoid``, ``Activation_Linear``;
- ``regularization``: ``Layer_Dense+regularization``, the L1 and L2 terms of its backward;
- ``losses``: the four losses and ``Activation_Softmax_Loss_CategoricalCrossentropy``.

The book's files import its ``nnfs`` package (``nnfs.init()``, ``nnfs.datasets``): it is
the course's module, so a file that imports it is this course's.
"""

from oracle.course.reference import Course
from oracle.courses.nnfs import dropout, layers, losses, regularization

COURSE = Course(
    "nnfs", "Neural Networks from Scratch in Python (Kinsley and Kukiela, 2020)", modules=("nnfs",)
)

__all__ = ["COURSE", "dropout", "layers", "losses", "regularization"]
