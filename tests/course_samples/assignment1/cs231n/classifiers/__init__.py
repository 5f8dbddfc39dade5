from .linear_svm import *  # noqa: F403
from .softmax import *  # noqa: F403
