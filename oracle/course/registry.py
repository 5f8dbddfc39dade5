"""Every known target of every course, in one registry: the machinery reads targets here and knows no course.

A course is a package that declares itself. The built-in ones are the sub-packages of
``oracle/courses/``; a course kept elsewhere names its package in the ``backprop_oracle.courses``
entry-point group of its own ``pyproject.toml``::

    [project.entry-points."backprop_oracle.courses"]
    mycourse = "mycourse_oracle"

Importing a course package declares its targets (``oracle.course.reference.declare``) and
its ``COURSE`` (``oracle.course.reference.Course``) says who it is. Nothing here names a course:
adding one touches no file of the machinery. Importing this module imports every course once.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import oracle.courses
from oracle.course.judging.samplers import normal, scores_and_labels
from oracle.course.reference import (
    BUILTIN,
    GATE,
    GATE_SHAPES,
    KINDS,
    LAYER,
    LAYER_SHAPES,
    LOSS,
    LOSS_SHAPES,
    REFERENCES,
    Course,
    KinkFn,
    Reference,
    Sampler,
    Shape,
)

__all__ = [
    "BUILTIN",
    "COURSES",
    "COURSE_OF",
    "REFERENCES",
    "course_of",
    "known_names",
    "recognize",
    "reference_for",
    "register_reference",
]

ENTRY_POINTS = "backprop_oracle.courses"
COURSES: dict[str, Course] = {}
COURSE_OF: dict[str, str] = {}  # target name -> the course whose package declared it


def _course_packages() -> list[str]:
    """The built-in course packages in name order, then those installed packages declare."""
    built_in = sorted(m.name for m in pkgutil.iter_modules(oracle.courses.__path__, "oracle.courses."))
    declared = sorted(ep.value for ep in entry_points(group=ENTRY_POINTS))
    return list(dict.fromkeys(built_in + declared))


def _load_courses() -> None:
    for package in _course_packages():
        before = set(BUILTIN)
        module = importlib.import_module(package)
        course = getattr(module, "COURSE", None)
        if not isinstance(course, Course):
            raise TypeError(f"course package {package} has no COURSE = Course(...)")
        if course.name in COURSES:
            raise TypeError(f"two course packages are named {course.name!r}")
        COURSES[course.name] = course
        COURSE_OF.update(dict.fromkeys(sorted(BUILTIN - before), course.name))


_load_courses()


def recognize(module: ModuleType, course: str = "") -> str:
    """The course a student's module follows: ``course`` when given, else read off the module.

    The course whose own package the module imports (``Course.modules``) wins; otherwise the
    course with the most targets the module defines; a tie goes to the first in name order,
    and a module that follows none gets "" (its pairs without a reference are still judged).
    """
    if course:
        return course
    imported = {_top(value) for value in vars(module).values()} - {""}
    best, score = "", (0, 0)
    for name in sorted(COURSES):
        own = COURSES[name].modules
        defined = sum(
            1
            for target, of in COURSE_OF.items()
            if of == name and all(hasattr(module, n) for n in REFERENCES[target].student_names)
        )
        candidate = (int(bool(imported & set(own))), defined)
        if candidate > score:
            best, score = name, candidate
    return best


def _top(value: Any) -> str:
    """The top-level package a module, function or class comes from ("" for anything else)."""
    if isinstance(value, ModuleType):
        return value.__name__.split(".")[0]
    origin = getattr(value, "__module__", None) if callable(value) else None
    return origin.split(".")[0] if isinstance(origin, str) else ""


def course_of(target: str, recognized: str) -> str:
    """The course whose target ``target`` is: its declaring course, else the module's (a pair without one)."""
    return COURSE_OF.get(target, recognized)


def reference_for(target: str, course: str) -> Reference | None:
    """The reference of ``target`` as a file of ``course`` means it: None for another course's name."""
    ref = REFERENCES.get(target)
    return ref if ref is not None and course_of(target, course) == course else None


def parameter_dicts() -> dict[str, Mapping[str, Any]]:
    """Every course's settings dicts by argument name; a name two courses fill alike is one entry."""
    return {name: value for course in COURSES.values() for name, value in course.params.items()}


def parameter_scalars() -> dict[str, Any]:
    """Every course's scalar arguments by name (``Course.scalars``)."""
    return {name: value for course in COURSES.values() for name, value in course.scalars.items()}


def register_reference(
    name: str,
    fn: Callable[..., Any],
    *,
    kind: str = LAYER,
    inputs: Sequence[str] | None = None,
    shapes: Sequence[Sequence[Shape]] | None = None,
    sample: Sampler | None = None,
    kinks: KinkFn | None = None,
    edge: Sampler | None = None,
    kink_text: str = "",
) -> Reference:
    """Make ``name`` a known target, checked against the JAX function ``fn``.

    ``fn`` takes the inputs positionally (a loss: ``fn(scores, labels)`` returning the
    scalar loss). ``inputs`` names them (default: the parameter names of ``fn``; "0",
    "1", ... for a gate; "x" for a loss). ``shapes``: the shapes to check, one tuple of
    input shapes each (default: (4, 5) and (2, 3, 4) for every input of a layer, () and
    (3, 4) for a gate, (5, 4) and (8, 10) scores for a loss). ``sample(rng, shapes)``
    draws the inputs (default: standard normal). ``kinks(*inputs)`` returns one boolean
    array per input marking the elements on a non-differentiable point, and ``edge`` draws
    inputs that sit on them (``with_zeros`` for kinks at 0). Registering a name again
    replaces it; the built-in names cannot be replaced.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if name in BUILTIN:
        raise ValueError(f"{name!r} is a built-in target; register your reference under another name")
    if inputs is None:
        inputs = _input_names(fn, kind)
    if shapes is None:
        default = {GATE: GATE_SHAPES, LAYER: LAYER_SHAPES, LOSS: LOSS_SHAPES}[kind]
        shapes = [s * (1 if kind == LOSS else len(inputs)) for s in default]
    for case in shapes:
        if len(case) != (1 if kind == LOSS else len(inputs)):
            raise ValueError(f"shapes {list(case)} do not fit the inputs {list(inputs)}")
    if sample is None:
        sample = scores_and_labels if kind == LOSS else normal
    reference = Reference(
        name,
        kind,
        fn,
        tuple(inputs),
        tuple(tuple(tuple(int(d) for d in s) for s in case) for case in shapes),
        sample,
        kinks=kinks,
        edge=edge,
        kink_text=kink_text or ("a declared kink" if kinks else ""),
        edge_text=f"inputs on {kink_text or 'the kinks'}" if edge else "",
    )
    REFERENCES[name] = reference
    return reference


def _input_names(fn: Callable[..., Any], kind: str) -> tuple[str, ...]:
    if kind == LOSS:
        return ("x",)
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        params = []
    params = params or ["x"]
    return tuple(str(i) for i in range(len(params))) if kind == GATE else tuple(params)


def known_names() -> str:
    """The names looked for, as the student's code spells them: for messages."""
    spelled = ("/".join(ref.student_names) for ref in REFERENCES.values())
    return ", ".join(dict.fromkeys(spelled))  # FullyConnectedNet is several targets: named once
