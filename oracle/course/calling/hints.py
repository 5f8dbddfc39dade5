"""What a student's exception means when a known incompatibility causes it, for the row's detail.

Course code of earlier years runs here on Python 3 and NumPy 2: a size computed with Python
2's ``/`` is a float where an integer is needed, and some NumPy 1.x spellings are gone.
``hint_for`` returns a sentence saying so, or "" for any other exception.
"""

from __future__ import annotations

# Python 3's / always gives a float: a size computed with Python 2's / (``H_out = (H - HH) / stride + 1``)
# then fails where an integer is needed (``np.zeros``, ``range``, ``reshape``) with this message.
FLOAT_SIZE = "'float' object cannot be interpreted as an integer"
FLOAT_SIZE_HINT = (
    "a size computed with /, which gives a float in Python 3 (Python 2's / of integers gave an "
    "integer): // is meant"
)


# The same from numpy, for a float where an index or a size is needed.
FLOAT_INDEX = (
    "'numpy.float64' object cannot be interpreted as an integer",
    "Cannot cast array data from dtype('float64') to dtype('int64')",
    "slice indices must be integers",
    "only integers, slices (`:`), ellipsis (`...`)",
)
FLOAT_INDEX_HINT = (
    "an index or size that is a float: if computed with /, which gives a float in Python 3 (Python 2's "
    "/ of integers gave an integer), // is meant"
)

# Code that ran on the NumPy 1.x of the course's years and fails on NumPy 2: the message -> what changed.
NUMPY2_HINTS = {
    "unexpected keyword argument 'newshape'": "NumPy 2.1 renamed reshape's newshape to shape",
    "only 0-dimensional arrays can be converted to Python scalars": (
        "int() or float() of an array of one element, which NumPy 1.x allowed and NumPy 2 refuses "
        "(of several elements it is wrong in any NumPy)"
    ),
    "module 'numpy' has no attribute": (
        "np.int, np.float and np.bool were removed in NumPy 1.24: int, float and bool are meant"
    ),
}


def hint_for(exc: BaseException, message: str) -> str:
    """The hint for ``exc`` (whose first line is ``message``), or ""."""
    if isinstance(exc, TypeError) and FLOAT_SIZE in message:
        return FLOAT_SIZE_HINT
    if isinstance(exc, TypeError | IndexError) and any(text in message for text in FLOAT_INDEX):
        return FLOAT_INDEX_HINT
    if isinstance(exc, TypeError | AttributeError):
        return next((text for key, text in NUMPY2_HINTS.items() if key in message), "")
    return ""
