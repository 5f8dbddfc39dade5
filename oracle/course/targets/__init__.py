"""The built-in course targets, one module per part of the course; importing this fills the registry."""

from oracle.course.refs import REFERENCES
from oracle.course.targets import basic, classifiers, models, sequence
from oracle.course.targets import vision as vision  # conv, pooling, the norms, dropout, layer_utils

__all__ = ["REFERENCES", "basic", "classifiers", "models", "sequence"]
