"""JAX's answers to course cases, kept on disk: a warm check computes no reference again.

A built-in reference's output, gradients and extras are a deterministic function of its
inputs, its upstream gradient and its settings, which a case draws from its seed. So
``python -m oracle check`` keeps them (and each reference's output shape, which the upstream
gradient is drawn from) in files, one per answer, keyed by the SHA-256 of everything they
depend on (``key``): the target and its function, the settings as the student's numbers
adapted them (a convention variant is a key of its own, dropout's mask by its bytes; other
settings that are not plain numbers and text are never stored: computed live), each input's
and the upstream gradient's dtype, shape and bytes, the versions of JAX, jaxlib and
numpy, and a digest of the oracle's own source (``project_digest``). The student's code is
never in a key: it runs, and is judged, every time.

What may decide a verdict:

- only the checker writes entries, whole or not at all (a temporary file renamed: two
  checks may write the same entry at once); workers never have the cache on, and a
  confined worker cannot read or write its folder (``oracle.course.isolation.confine``:
  the folder is outside what a worker may read, and ``active`` refuses a folder inside it);
- every entry carries the SHA-256 of its key and its arrays; an entry that does not verify
  (truncated, edited, another key's, an array of another dtype) is ignored, computed
  again and rewritten;
- the folder is ``references/`` in JAX's compilation cache folder
  (``BACKPROP_ORACLE_JAX_CACHE``, ``~/.cache/backprop-oracle/jax`` by default; ``off``
  turns both caches off), bounded to ``BOUND`` bytes: past it, the oldest entries go.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from oracle.core.lazy_jax import dotted_name

MAGIC = b"backprop-oracle reference v1\n"
BOUND = 256 << 20  # bytes of entries kept; past it the oldest go, down to half
TRIM_EVERY = 512  # writes between two looks at the folder's size
HEADER_LIMIT = 1 << 16  # an entry's header line is at most this long
KINDS = frozenset("biufc")  # dtypes an entry may hold: numbers and booleans, never objects
PLAIN = (int, float, str, bool, type(None))


class ResultCache:
    """Entries in one folder: ``get`` verifies, ``put`` writes atomically, ``trim`` keeps the bound."""

    def __init__(self, folder: Path, bound: int = BOUND) -> None:
        self.folder, self.bound, self.written = folder, bound, 0

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.entry"

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        """The arrays stored under ``key``, or None: missing, unreadable, or not what was written."""
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        return decode(data, key)

    def put(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        """Store ``arrays`` under ``key``; a folder that cannot be written is left as it is."""
        data = encode(key, arrays)
        if data is None:
            return
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.written % TRIM_EVERY == 0:  # the first write of a process, then every so often
                self.trim()
            self.written += 1
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, self.path(key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise

    def trim(self) -> None:
        """Past the bound, remove the oldest entries until half of it is used."""
        entries = []
        with contextlib.suppress(OSError), os.scandir(self.folder) as found:
            for entry in found:
                with contextlib.suppress(OSError):
                    if entry.name.endswith(".entry"):
                        status = entry.stat()
                        entries.append((status.st_mtime, status.st_size, entry.path))
        used = sum(size for _, size, _ in entries)
        if used <= self.bound:
            return
        for _, size, path in sorted(entries):  # the oldest first
            if used <= self.bound // 2:
                break
            with contextlib.suppress(OSError):
                os.unlink(path)
            used -= size


def encode(key: str, arrays: Mapping[str, np.ndarray]) -> bytes | None:
    """An entry's bytes: the magic line, a JSON header (names, dtypes, shapes, digest), the arrays."""
    described, payload = [], []
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.kind not in KINDS:
            return None
        described.append([name, array.dtype.str, list(array.shape)])
        payload.append(array.tobytes())
    body = b"".join(payload)
    header = json.dumps({"key": key, "arrays": described, "digest": _digest(key, described, body)})
    return MAGIC + header.encode() + b"\n" + body


def decode(data: bytes, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of an entry, if it is whole, under ``key``, and its digest holds."""
    if not data.startswith(MAGIC):
        return None
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + HEADER_LIMIT)
    try:
        header = json.loads(data[len(MAGIC) : end]) if end > 0 else None
        if not isinstance(header, dict) or header.get("key") != key:
            return None
        described, body = header["arrays"], data[end + 1 :]
        if header.get("digest") != _digest(key, described, body):
            return None
        arrays, offset = {}, 0
        for name, dtype_text, shape in described:
            dtype = np.dtype(dtype_text)
            if dtype.kind not in KINDS or not all(isinstance(n, int) and n >= 0 for n in shape):
                return None
            size = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            if offset + size > len(body):
                return None
            arrays[str(name)] = np.frombuffer(body, dtype, count=size // dtype.itemsize, offset=offset)
            arrays[str(name)] = arrays[str(name)].reshape(shape).copy()
            offset += size
        return arrays if offset == len(body) else None
    except (ValueError, TypeError, KeyError):
        return None


def _digest(key: str, described: Any, body: bytes) -> str:
    return hashlib.sha256(json.dumps([key, described]).encode() + b"\n" + body).hexdigest()


# ------------------------------------------------------------------ keys


def plain(value: Any) -> bool:
    """A setting that can be part of a key: numbers, text, None, and tuples of them."""
    if isinstance(value, tuple):
        return all(plain(v) for v in value)
    return isinstance(value, PLAIN)


def settled(value: Any) -> Any:
    """A setting as a key holds it: plain values as they are, a numpy array (a mask read off the
    student's numbers) by its dtype, shape and the SHA-256 of its bytes; None: not storable."""
    if isinstance(value, np.ndarray) and value.dtype.kind in KINDS:
        return ("array", value.dtype.str, value.shape, hashlib.sha256(value.tobytes()).hexdigest())
    return ("plain", value) if plain(value) else None


def key(
    kind: str, name: str, fn: Any, settings: Mapping[str, Any], arrays: Iterable[Any], extra: str = ""
) -> str | None:
    """The key of one answer, or None when it must be computed live (settings that are not storable)."""
    items = [(k, settled(v)) for k, v in sorted(settings.items())]
    if not all(isinstance(k, str) and v is not None for k, v in items):
        return None
    digest = hashlib.sha256()
    where = dotted_name(fn)  # a JAX function named before JAX was imported: its path
    digest.update(repr((kind, name, where, items, extra, versions())).encode())
    for value in arrays:
        if value is None:
            digest.update(b"|none")
            continue
        array = np.asarray(value)
        digest.update(f"|{array.dtype.str}{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


_versions: list[str] = []


def versions() -> str:
    """JAX's, jaxlib's and numpy's versions and the oracle's source digest: part of every key."""
    if not _versions:
        found = []
        for name in ("jax", "jaxlib", "numpy"):
            try:
                found.append(f"{name} {metadata.version(name)}")
            except metadata.PackageNotFoundError:
                found.append(f"{name} ?")
        _versions.append(", ".join(found) + f"; oracle {project_digest()}")
    return _versions[0]


def project_digest() -> str:
    """SHA-256 of every .py file of the oracle package (paths and bytes): any change, a new key."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


# ------------------------------------------------------------------ the switch

_active: list[ResultCache] = []


def folder() -> Path | None:
    """The cache's folder, or None when ``BACKPROP_ORACLE_JAX_CACHE`` is ``off``."""
    named = os.environ.get("BACKPROP_ORACLE_JAX_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backprop-oracle" / "jax"
    )
    return None if named == "off" else Path(named) / "references"


def enable(readable: Iterable[str] = ()) -> str:
    """Turn the cache on in this process (the checker's), unless it is off or ``readable``
    (folders a worker may read) holds its folder; says where it is, or why it is not used."""
    _active.clear()
    where = folder()
    if where is None:
        return "off (BACKPROP_ORACLE_JAX_CACHE=off)"
    resolved = os.path.realpath(where)
    for path in readable:
        inside = os.path.realpath(path)
        if resolved == inside or resolved.startswith(inside.rstrip(os.sep) + os.sep):
            return f"off: {where} is inside {path}, which a worker may read"
    _active.append(ResultCache(where))
    return str(where)


def disable() -> None:
    _active.clear()


def active() -> ResultCache | None:
    return _active[0] if _active else None
