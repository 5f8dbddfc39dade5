"""What course code should compute: one ``Reference`` per known target name, in one registry.

A ``Reference`` holds everything the checker knows about a target: the JAX function it
should compute, the names and shapes of its inputs, how to draw random and edge inputs,
where its kinks are, and how the student's code is called (``oracle.course.calling.calls``).
Each course declares its targets in its own package (``oracle/courses/NAME/``), with
``declare``; ``oracle.course.registry`` finds the courses, and a user adds a name of their own
with ``oracle.course.registry.register_reference``, e.g. in the checked file itself::

    register_reference("leaky_relu", lambda x: jax.nn.leaky_relu(x, 0.01), kind="layer",
                       kinks=lambda x: x == 0, edge=with_zeros, kink_text="leaky relu at x == 0")

The kinds of course code (``KINDS``), each with its own calling convention:

- ``gate``: a class ``NAME`` whose ``forward(*inputs)`` returns the output and whose
  ``backward(upstream)`` returns the list of input gradients (the lecture's ``MultiplyGate``);
- ``layer``: ``NAME_forward(*inputs) -> (out, cache)`` and ``NAME_backward(dout, cache)``
  returning one gradient, or a tuple of them for several inputs (``affine``: dx, dw, db);
- ``loss``: ``NAME(x, y) -> (loss, dx)`` for scores ``x`` of shape (N, C) and integer labels ``y``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from oracle.core.judgement import Outcome
from oracle.course.calling.calls import Call
from oracle.course.calling.kinds import gate_call, layer_call, loss_call
from oracle.course.judging.bugs import Bug

GATE, LAYER, LOSS = "gate", "layer", "loss"
KINDS = (GATE, LAYER, LOSS)

Shape = tuple[int, ...]
# Draws one case's inputs (float64 values, integer labels) from the generator, one array per shape.
Sampler = Callable[[np.random.Generator, Sequence[Shape]], list[np.ndarray]]
# Says which elements of each input sit on a non-differentiable point: one boolean array per
# input that has a gradient (an array alone will do for one input).
KinkFn = Callable[..., Any]
# (settings, the student's answer, the inputs) -> the settings the JAX reference computes with,
# for a reference that depends on what the student's forward chose (dropout's random mask).
Adapt = Callable[[Mapping[str, Any], Outcome, Sequence[np.ndarray]], Mapping[str, Any]]

DEFAULT_CALLS: dict[str, Callable[[str], Call]] = {GATE: gate_call, LAYER: layer_call, LOSS: loss_call}


@dataclass(frozen=True)
class Reference:
    name: str
    kind: str  # GATE, LAYER, LOSS, or a kind a target module adds
    fn: Callable[..., Any]  # JAX function of all the arrays, settings as keywords; with aux: (out, extras)
    inputs: tuple[str, ...]  # the inputs with a gradient: the first len(inputs) arrays ("0", "1" for gates)
    shapes: tuple[tuple[Shape, ...], ...]  # the shapes to check, one tuple of array shapes each
    sample: Sampler
    kinks: KinkFn | None = None
    edge: Sampler | None = None  # inputs on the kinks
    kink_text: str = ""  # names the kink in a record's detail
    edge_text: str = ""  # names the edge inputs in a record's detail
    op: str = ""  # the graph op whose JAX function it uses, if any
    call: Call | None = None  # how the student's code is called (default: by kind)
    names: tuple[str, ...] = ()  # the names the student's code defines (default: by kind)
    settings: tuple[Mapping[str, Any], ...] = field(default=({},))  # per shape (or one for all)
    adapt: Adapt | None = None
    aux: bool = False  # fn returns (out, extras): the extras are checked like the output
    upstream: bool = True  # False: a scalar loss, differentiated directly (no upstream gradient)
    bugs: tuple[Bug, ...] = ()  # its classic bugs, the likeliest first: named in the rows they fail
    # the precision it is judged at whatever --dtype asks ("float32": a course whose layers keep
    # float32 buffers, np.empty(..., dtype='f'), gives float32 answers to float64 inputs)
    dtype: str = ""

    def __post_init__(self) -> None:
        if self.call is None:
            object.__setattr__(self, "call", DEFAULT_CALLS[self.kind](self.name))
        if not self.names:
            names = (f"{self.name}_forward", f"{self.name}_backward") if self.kind == LAYER else (self.name,)
            object.__setattr__(self, "names", names)
        if self.kind == LOSS:
            object.__setattr__(self, "upstream", False)

    @property
    def student_names(self) -> tuple[str, ...]:
        """The names the student's code defines for this target."""
        return self.names

    def settings_for(self, shape_index: int) -> Mapping[str, Any]:
        return self.settings[shape_index if len(self.settings) > 1 else 0]

    def kink_masks(self, values: Sequence[np.ndarray]) -> list[np.ndarray] | None:
        """One boolean array per input with a gradient, of that input's shape; None without kinks."""
        if self.kinks is None:
            return None
        masks = self.kinks(*values)
        if isinstance(masks, np.ndarray | bool | np.bool_):
            masks = [masks]
        return [
            np.broadcast_to(np.asarray(m, dtype=bool), np.shape(v))
            for m, v in zip(masks, values, strict=False)
        ]


@dataclass(frozen=True)
class Course:
    """Who a course is: its package's ``COURSE``. Its targets are the ``declare`` calls of its modules."""

    name: str  # the value of --course, and of the CSV's course column
    title: str  # for people: the course and the years or terms its code follows
    modules: tuple[str, ...] = ()  # top-level modules its students' files import (its own package)
    # Its settings dicts by argument name (``conv_param``...), as its notebooks fill them: what
    # a forward the oracle has no reference for gets for an argument of that name.
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Its scalar arguments by name, as its notebooks pass them (CS231n's ``G``, a number of groups):
    # what such a forward gets for an argument of that name, in its place among the dicts.
    scalars: Mapping[str, Any] = field(default_factory=dict)
    # Modules its students' files import that need a build step (a Cython extension), by their last
    # name -> a module of the course package computing the same, served when they are not built.
    stand_ins: Mapping[str, ModuleType] = field(default_factory=dict)
    # Helper modules its notebooks import from the student's folder (``dnn_utils``), by their name ->
    # a module of the course package that does what they do, served when no folder of the
    # student's holds one; every row of a file run with one says so.
    helper_stand_ins: Mapping[str, ModuleType] = field(default_factory=dict)
    # Targets set in a later assignment than the first, by name -> that assignment's number. A
    # file under a folder ``assignment<k>`` with k below it may hold the target as the course's
    # template, shipped ahead (CS231n's first layers.py from 2022 on): ``unchecked``, not due yet.
    assignments: Mapping[str, int] = field(default_factory=dict)


GATE_SHAPES = (((),), ((3, 4),))
LAYER_SHAPES = (((4, 5),), ((2, 3, 4),))
LOSS_SHAPES = (((5, 4),), ((8, 10),))  # N != C, so a sum over the wrong axis has the wrong shape

REFERENCES: dict[str, Reference] = {}
BUILTIN: set[str] = set()  # the names the courses declare: a user cannot replace them


def declare(reference: Reference) -> Reference:
    """Add a course's target to the registry; a name is declared once, by one course."""
    if reference.name in BUILTIN:
        raise ValueError(f"target {reference.name!r} is declared twice")
    REFERENCES[reference.name] = reference
    BUILTIN.add(reference.name)
    return reference
