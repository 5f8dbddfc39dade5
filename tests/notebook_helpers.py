"""Turning a course sample (.py) into the notebook a student would have written it in.

Each top-level statement of the file becomes a cell of its own (decorators and the comments
above it included), between a setup cell of magics and, after every definition, a test cell
that calls nothing the check could run: what a student's notebook holds around its code.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SETUP = "%matplotlib inline\n%load_ext autoreload\n%autoreload 2"
TEST = "np.random.seed(231)\nx = np.random.randn(4, 5)\nprint({name}, x.shape)"


def chunks(source: str) -> list[tuple[str, str]]:
    """(name defined or '', text) of each top-level statement, the lines above it included."""
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    starts = [min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))]) for n in tree.body]
    bounds = [0, *(s - 1 for s in starts[1:]), len(lines)]
    names = [getattr(n, "name", "") for n in tree.body]
    return [(names[i], "".join(lines[bounds[i] : bounds[i + 1]])) for i in range(len(tree.body))]


def as_notebook(py: Path, out: Path, minor: int = 4) -> Path:
    """``py`` as a notebook of nbformat 4.``minor`` at ``out``: one cell per statement, magics, test cells."""
    notebook = new_notebook()
    cells = [new_markdown_cell(f"# {py.stem}"), new_code_cell(SETUP)]
    for name, text in chunks(py.read_text()):
        cells.append(new_code_cell(text.strip("\n")))
        if name:
            cells.append(new_code_cell(TEST.format(name=name)))
    count = 0
    for cell in cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    notebook.cells = cells
    data = json.loads(nbformat.writes(notebook))
    data["nbformat_minor"] = minor
    if minor < 5:  # cell ids came with 4.5
        for cell in data["cells"]:
            cell.pop("id", None)
    nbformat.validate(nbformat.from_dict(data))
    out.write_text(json.dumps(data, indent=1) + "\n")
    return out
