"""Random graphs and cases: one builder, two sources of randomness.

Public API::

    graphs(max_nodes=12, scalar=False, ops=None, *, mode="default")  -> SearchStrategy[graph]
    cases(max_nodes=12, dtype="float64", edge=False, scalar=False, ops=None, *, mode=None)
                                                                   -> SearchStrategy[case]
    campaign_graph(seed, index, max_nodes=12, *, scalar=False, ops=None, mode="default")  -> graph
    campaign_inputs(graph, seed, index, input_index, dtype="float64", edge=False, *, mode=None)
                                                                   -> (values, cotangent)
    OPS, SCALAR_OPS, GUARD_OPS, LATTICE, SAFE_LO, LIMIT, MODES, output_shape(graph),
    certify(graph, DEFAULT | WIDE)

Value modes (``MODES``): ``"default"`` (continuous, tie-free, in a narrow band), ``"edge"``
(on the kinks; ``edge=True`` is the older spelling) and ``"wide"`` (every gate's whole safe
domain). Edge values share default graphs; wide values need graphs built for them: pass
the same ``mode`` to ``campaign_graph`` and ``campaign_inputs``.

``build_graph`` grows a graph gate by gate, asking a *chooser* for every decision. Where
to read what:

- ``choosers``: the two sources of decisions, ``NumpyChooser`` (campaigns, deterministic
  from ``(seed, index)``) and ``HypothesisChooser`` (strategies that shrink), and why every
  choice lists its simplest option first;
- ``builder``: how a graph grows, and genericity (why default values never sit on a kink);
- ``guards``: safety by construction (intervals, domains, guard gates, ``LIMIT``), the modes;
- ``certificates``: a graph's safety re-derived from its JSON (``bounds``, ``certify``);
- ``values``: default values, edge mode (``LATTICE``), cotangents, ``output_shape``;
- ``vocab``: the op vocabulary (from the declarations in ``oracle.ops``) and the shapes;
- ``campaigns`` and ``search``: the public entry points above.

Everything op-specific (draw rules, domains, intervals, genericity, kinks) is declared with
the op in ``oracle.ops``; this package is the generic machinery.
"""

from oracle.strategies.builder import build_graph
from oracle.strategies.campaigns import campaign_graph, campaign_inputs
from oracle.strategies.certificates import bounds, certify
from oracle.strategies.choosers import Chooser, HypothesisChooser, NumpyChooser
from oracle.strategies.guards import (
    DEFAULT,
    GUARD_OPS,
    GUARD_SHIFTS,
    INPUT_RANGE,
    LIMIT,
    POS_HI,
    SAFE_LO,
    WIDE,
    WIDE_GUARD_OPS,
    Mode,
)
from oracle.strategies.search import cases, graphs
from oracle.strategies.values import (
    COTANGENT_MAGNITUDE,
    LATTICE,
    MODES,
    VALUE_MAGNITUDE,
    WIDE_MAGNITUDE,
    lattice_values,
    output_shape,
    random_cotangent,
    random_values,
    wide_values,
)
from oracle.strategies.vocab import (
    DIMS,
    ELEMENTWISE_OPS,
    INPUT_NAMES,
    MAX_INPUTS,
    NOT_SCALAR,
    OPS,
    SCALAR_OPS,
    STOP_ODDS,
    TENSOR_OPS,
)

__all__ = [
    "COTANGENT_MAGNITUDE",
    "DEFAULT",
    "DIMS",
    "ELEMENTWISE_OPS",
    "GUARD_OPS",
    "GUARD_SHIFTS",
    "INPUT_NAMES",
    "INPUT_RANGE",
    "LATTICE",
    "LIMIT",
    "MAX_INPUTS",
    "MODES",
    "NOT_SCALAR",
    "OPS",
    "POS_HI",
    "SAFE_LO",
    "SCALAR_OPS",
    "STOP_ODDS",
    "TENSOR_OPS",
    "VALUE_MAGNITUDE",
    "WIDE",
    "WIDE_GUARD_OPS",
    "WIDE_MAGNITUDE",
    "Chooser",
    "HypothesisChooser",
    "Mode",
    "NumpyChooser",
    "bounds",
    "build_graph",
    "campaign_graph",
    "campaign_inputs",
    "cases",
    "certify",
    "graphs",
    "lattice_values",
    "output_shape",
    "random_cotangent",
    "random_values",
    "wide_values",
]
