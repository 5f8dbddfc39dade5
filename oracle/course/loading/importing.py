"""Importing a student's file the way its assignment imports it, with no setup.

Course files import their assignment's package: ``from cs231n.layers import *`` at the
top of ``layer_utils.py``, ``from ..layers import *`` in ``classifiers/fc_net.py``. So:

- a file inside a package (its folder has an ``__init__.py``) is imported under its
  dotted name (``cs231n.classifiers.fc_net``), with the folder above the package on the
  import path: relative imports work. A folder without ``__init__.py`` is a namespace
  package, as Python 3 imports it in the course's notebooks: a file whose relative imports
  climb ``k`` levels (``from ..layers import *``) is imported under a dotted name of at least
  ``k + 1`` parts, whatever ``__init__.py`` files its folders have;
- when an import fails for a module that a folder above the file holds (a ``cs231n``
  folder, an ``im2col.py``), the nearest such folder goes on the import path and the
  file is imported again;
- ``past.builtins`` (``future`` not installed), an unbuilt extension (``im2col_cython``), a
  course's helper module no folder from the file up holds (``dnn_utils``) and NumPy 1's moved
  names are stood in for (``oracle.course.loading.stand_ins``);
- a module found nowhere is a third-party one: one line names it and the package to
  install (``cv2`` comes from ``pip install opencv-python``); but a course's own package
  (``cs231n``, a ``Course``'s ``modules``) is never to be installed: the line names the
  folder layout the file expects instead.

Nothing stays behind: the import path is restored, the modules imported from the student's
folders forgotten (another assignment's ``cs231n`` differs), but for the checked module.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import itertools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from oracle.core.errors import UserError
from oracle.course.calling.calls import describe_exception
from oracle.course.loading import notebook_run, tolerant
from oracle.course.loading.stand_ins import helpers, numpy1_modules, python2_builtins, stand_ins
from oracle.course.registry import COURSES

# Import names whose package on PyPI has another name.
PACKAGES = {"past": "future", "PIL": "Pillow", "cv2": "opencv-python", "sklearn": "scikit-learn"}
PACKAGES |= {"skimage": "scikit-image", "yaml": "PyYAML", "IPython": "ipython"}
PACKAGES |= {"google.colab": "(Colab only)"}
# Installed from PyPI under their own names: a missing one is to install, not a course's helper file.
KNOWN_PACKAGES = frozenset(("h5py", "matplotlib", "scipy", "pandas", "torch", "tensorflow", "keras", "PIL"))
MAX_ROOTS = 4  # folders above the file that may join the import path, one per missing module
MAX_CLIMB = 5  # levels above the file searched for them (assignment2/cs231n/classifiers/fc_net.py: 2)

_numbers = itertools.count()


def install_name(module: str) -> str:
    top = module.split(".")[0]
    return PACKAGES.get(module, PACKAGES.get(top, top))


def package_of(file: Path) -> tuple[str, Path] | None:
    """(dotted name, the folder above the package) for a file inside a package, else None.

    Folders with an ``__init__.py`` are packages; so are as many more as the relative imports of
    the file, or of the modules beside it its package may import, need (namespace packages: a
    2021 ``cs231n/`` without ``__init__.py``, whose ``classifiers/linear_classifier.py`` imports
    ``..classifiers.linear_svm``). A notebook is never imported by its dotted name.
    """
    if file.suffix == NOTEBOOK:
        return None
    beside = sorted(file.parent.glob("*.py"))[:50] if (file.parent / "__init__.py").is_file() else []
    parts, folder, levels = [file.stem], file.parent, max(map(relative_levels, [file, *beside]))
    while ((folder / "__init__.py").is_file() or len(parts) <= levels) and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1 or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts), folder


def relative_levels(file: Path) -> int:
    """How many packages up the file's relative imports climb (``from ..layers import *``: 2)."""
    try:
        tree = ast.parse(file.read_bytes())
    except (SyntaxError, ValueError, OSError):  # the import itself will say what is wrong
        return 0
    return max((node.level for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)), default=0)


def reading_roots(file: Path) -> list[Path]:
    """The folders importing ``file`` may read: its package's root (or its folder), then each folder
    above it that holds a top-level module it imports (``load`` puts those on the import path)."""
    file = file.resolve()
    package = package_of(file)
    roots = [package[1] if package else file.parent]
    try:
        tree = ast.parse(file.read_bytes())
    except (SyntaxError, ValueError, OSError):
        return roots
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {
        n.module.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and not n.level
    }
    for name in sorted(names):
        found = holder(file.parent, name)
        if found is not None and found not in roots and len(roots) <= MAX_ROOTS:
            roots.append(found)
    return roots


def holder(start: Path, module: str) -> Path | None:
    """The nearest folder from ``start`` up that holds ``module`` (a folder or a .py file of that name).

    Never the file system's root, a folder holding the home folder or Python's own, nor one above
    ``MAX_CLIMB`` levels: ``import home`` or ``import usr`` must not make the whole disk readable
    to a confined worker (``reading_roots``) nor put it on the import path.
    """
    start = start.resolve()
    for folder in (start, *start.parents)[: MAX_CLIMB + 1]:
        if _too_wide(folder):
            return None
        if (folder / module).is_dir() or (folder / f"{module}.py").is_file():
            return folder
    return None


def _too_wide(folder: Path) -> bool:
    if folder == Path(folder.anchor):
        return True
    wide = {Path.home(), Path(sys.prefix), Path(sys.base_prefix)}
    return any(folder == w.resolve() or folder in w.resolve().parents for w in wide)


def _identifier(stem: str) -> str:
    return re.sub(r"\W", "_", stem)


def _top(name: str) -> str:
    return name.split(".")[0]


def _under(module: ModuleType, roots: list[Path]) -> bool:
    file = getattr(module, "__file__", None)
    if not file:
        paths = list(getattr(module, "__path__", []) or [])  # a namespace package
        file = paths[0] if paths else None
    if not file:
        return False
    resolved = Path(file).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def load(path: Path) -> ModuleType:
    """Import ``path`` (an existing .py file); a ``UserError`` of one line says why it cannot be."""
    start, courses = path.resolve().parent, COURSES.values()
    # a helper module the student's folders hold (beside the file, or above it: _load's retry) wins
    theirs = helpers(courses, lambda m: not holder(start, m))
    with python2_builtins(), numpy1_modules(), stand_ins(courses), theirs as served:
        return served.noted(_load(path))


def _load(path: Path) -> ModuleType:
    file = path.resolve()
    package = package_of(file)
    roots = [package[1] if package else file.parent]
    before_path = list(sys.path)
    tops = {_top(package[0])} if package else set()
    shadowed = {n: m for n, m in sys.modules.items() if _top(n) in tops}  # another assignment's cs231n
    for n in shadowed:
        del sys.modules[n]
    before = set(sys.modules)
    fresh = ""
    try:
        while True:
            sys.path[:] = [str(r) for r in roots] + before_path
            try:
                if package:
                    return importlib.import_module(package[0])
                fresh = f"_oracle_checked_{next(_numbers)}_{_identifier(file.stem)}"
                if file.suffix == NOTEBOOK:  # its cells, chosen statement by statement
                    return notebook_run.module_from(file, fresh, _holds(file, roots), _provider)
                return _exec(file, fresh)
            except ModuleNotFoundError as exc:
                missing = exc.name or ""
                found = holder(file.parent, _top(missing)) if missing else None
                if found is None or found in roots or len(roots) > MAX_ROOTS:
                    if not package and tolerant.defines_something(file):  # keep what does not need it
                        roots += [r for r in reading_roots(file) if r not in roots]  # its helpers above
                        sys.path[:] = [str(r) for r in roots] + before_path
                        return tolerant.load(file, fresh, _provider)
                    raise UserError(_missing(path, exc, missing, found)) from None
                roots.append(found)
                _forget(before, roots, keep="")
            except SyntaxError as exc:
                same = exc.filename and Path(exc.filename).resolve() == file
                where = f"{path}:{exc.lineno}" if same else str(path)
                also = "" if same else f" ({exc.filename}:{exc.lineno})"
                python2 = PYTHON2 if python2_syntax(exc) else ""
                raise UserError(f"{where}: cannot import: SyntaxError: {exc.msg}{also}{python2}") from None
            except UserError:
                raise
            except (Exception, SystemExit) as exc:  # whatever the file does at import
                if not package and tolerant.defines_something(file):  # a notebook's test cells...
                    return tolerant.load(file, fresh, _provider)
                raise UserError(f"{path}: cannot import: {describe_exception(exc)}") from None
    finally:
        sys.path[:] = before_path
        _forget(before, roots, keep=fresh)
        for n in [n for n in sys.modules if _top(n) in tops]:
            del sys.modules[n]
        sys.modules.update(shadowed)


# ---- notebooks (oracle.course.loading.notebooks): the same import path and clean-up as .py files
NOTEBOOK = ".ipynb"


def _holds(file: Path, roots: list[Path]) -> Callable[[str], bool]:
    """Whether a folder above ``file``, not on the path yet, holds a module: the retry of ``load`` adds it."""

    def holds(module: str) -> bool:
        found = holder(file.parent, _top(module))
        return found is not None and found not in roots and len(roots) <= MAX_ROOTS

    return holds


# ----
def _provider(module: str) -> str:
    """What provides a module that was not found: a course's helper file, or a package to install."""
    top = _top(module)
    if top in PACKAGES or top in KNOWN_PACKAGES:
        return f"pip install {install_name(module)}"
    return f"{top}.py is not beside the file"


PYTHON2 = " (Python 2 code: run it through 2to3 first)"  # how a syntax error of Python 2's ends


def python2_syntax(exc: SyntaxError) -> bool:
    """Whether a syntax error is Python 2's: a print statement, an ``except E, e``, a backquote..."""
    text = f"{exc.msg} {exc.text or ''}"
    return "Missing parentheses in call to" in text or bool(re.search(r"except\s+\w+\s*,\s*\w+\s*:|`", text))


def _exec(file: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise UserError(f"{file}: cannot import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _forget(before: set[str], roots: list[Path], keep: str) -> None:
    """Forget the modules imported since ``before`` from the student's folders (all but ``keep``).

    Every module is looked at before any is forgotten: a namespace package finds its folders
    through its parent, which must still be there.
    """
    new = [n for n in sys.modules if n not in before and n != keep]
    doomed = [n for n in new if sys.modules.get(n) is None or _under(sys.modules[n], roots)]
    for name in doomed:
        sys.modules.pop(name, None)


def _missing(path: Path, exc: ModuleNotFoundError, module: str, found: Path | None = None) -> str:
    where = f"{path}: cannot import: {describe_exception(exc)}"
    if not module:
        return where
    if found is not None and "." in module:  # the package is the submission's: a file of it is missing
        *package, name = module.split(".")
        folder = found.joinpath(*package)
        return f"{where}: {folder} has no {name}.py (a file the submission lacks, not a package to install)"
    top = _top(module)
    course = next((c for c in COURSES.values() if top in c.modules), None)
    if course is not None:  # e.g. cs231n: the one on PyPI is another project
        wanted = "/".join(module.split(".")) + ("/" if "." not in module else ".py")
        return (
            f"{where}: {top} is the course's own package ({course.title}), not one to install, and "
            f"no folder above {path.name} holds it: check the file where its assignment keeps it, "
            f"beside the {wanted} it imports (e.g. assignment2/{top}/{path.name}, or the whole "
            "assignment2 folder)"
        )
    return (
        f"{where}: not installed, and no folder above {path.name} holds it; "
        f"install it with: pip install {install_name(module)}"
    )
