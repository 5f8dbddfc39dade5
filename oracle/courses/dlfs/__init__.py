"""Deep Learning from Scratch (Koki Saito): book 1's ``common/layers.py`` (``book1``), book 2's
``common/layers.py`` and ``common/time_layers.py`` (``book2``, judged at float32).

The book's files import its ``common`` package (``from common.functions import *``), which
is how a file is recognized as the book's; its targets are named ``dlfs.CLASS``, the student's
class being ``CLASS`` (``dlfs.Affine`` is ``Affine(W, b)``).
"""

from oracle.course.reference import Course
from oracle.courses.dlfs import book1, book2, book2_more

COURSE = Course(
    "dlfs",
    "Deep Learning from Scratch (Koki Saito), books 1 and 2: common/layers.py, common/time_layers.py",
    modules=("common",),
)

__all__ = ["COURSE", "book1", "book2", "book2_more"]
