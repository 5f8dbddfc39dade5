"""A hand-written reverse-mode engine (numpy only): the lecture's gates, graphs and network.

Read in this order: ``gates`` (the gate table: each gate declared once, its forward and
backward side by side), ``engine`` (the ``Value`` node and the one backward walk), ``graph``
(the JSON graph format and the lecture's ``ComputationalGraph``), ``mlp`` (the lecture's
two-layer network). ``shapes`` (the gates' shape rules) and ``checks`` (attribute types,
``GraphError``, what data the engine accepts) are the helpers the table is declared with.
This package never imports jax or ``oracle``: it is what the oracle judges.
"""

from reference import layers as layers  # the vision layers' gates: conv2d, pooling, the norms, dropout
from reference import sequence as sequence  # the recurrent layers' gates: embedding, slice, concat, ...
from reference.checks import GraphError
from reference.engine import Value, apply
from reference.gates import GATES, Gate
from reference.graph import ComputationalGraph, Graph, check_graph, check_values

__all__ = [
    "GATES",
    "ComputationalGraph",
    "Gate",
    "Graph",
    "GraphError",
    "Value",
    "apply",
    "check_graph",
    "check_values",
]
