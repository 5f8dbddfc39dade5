"""deeplearning.ai's Deep Learning Specialization (Coursera), courses 1, 2, 4 and 5, 2017-2024.

Plain functions over features-by-examples arrays, caches as tuples, gradients as dicts.
Importing this package declares its targets, one module per course:

- ``dnn``: course 1's "Building your Deep Neural Network: Step by Step" (``linear_forward``...
  ``L_model_backward``), the 1/m convention of dW and db inferred from the student's numbers;
- ``improving``: course 2's regularization, dropout and gradient-checking backward passes;
- ``conv``: course 4's ``conv_forward``/``conv_backward`` and the pools (NHWC);
- ``recurrent``: course 5's RNN and LSTM cells and sequences, gradients returned as dicts.

The helper modules its graded functions call (``dnn_utils``, ``gc_utils``) have stand-ins of
ours (``dnn_utils_stand_in``, ``gc_utils_stand_in``), served when the student's folder lacks
them. The test-case modules (``testCases``, ``public_tests``) have none: only the notebooks'
test cells use them, and the check never runs those.
"""

from oracle.course.reference import Course
from oracle.courses.dlai import conv, dnn, dnn_utils_stand_in, gc_utils_stand_in, improving, recurrent

# The helper modules its notebooks import: a file that imports one follows this course.
HELPERS: tuple[str, ...] = (
    "dnn_utils",
    "dnn_utils_v2",
    "testCases",
    "testCases_v2",
    "testCases_v3",
    "testCases_v4",
)
HELPERS += ("testCases_v4a", "reg_utils", "gc_utils", "rnn_utils", "cnn_utils")

COURSE = Course(
    "dlai",
    "deeplearning.ai Deep Learning Specialization (Coursera), courses 1, 2, 4, 5, 2017-2024",
    modules=HELPERS,
    params={"hparameters": {"stride": 1, "pad": 1}},
    helper_stand_ins={
        "dnn_utils": dnn_utils_stand_in,
        "dnn_utils_v2": dnn_utils_stand_in,
        "gc_utils": gc_utils_stand_in,
    },
)

__all__ = ["COURSE", "conv", "dnn", "improving", "recurrent"]
