"""CS224n (Stanford, "NLP with Deep Learning"): the word2vec assignment, 2017-2025.

Importing this package declares its targets: in ``word2vec``, the naive-softmax and
negative-sampling losses under both years' names, ``skipgram`` and the older ``cbow``; in
``neural``, 2017-2018's ``sigmoid``/``sigmoid_grad`` and ``forward_backward_prop``.
Files of 2017-2018 import the assignment's ``q1_softmax``, ``q2_sigmoid`` and
``q2_gradcheck``; later ones import a ``utils`` package too generic to name a course, and
are recognized by the targets they define.
"""

from oracle.course.reference import Course
from oracle.courses.cs224n import neural, word2vec

COURSE = Course(
    "cs224n",
    "CS224n (Stanford), word2vec assignment 2017-2025",
    modules=("q1_softmax", "q2_sigmoid", "q2_gradcheck"),
)

__all__ = ["COURSE", "neural", "word2vec"]
