"""Output files: checked before any work starts, held by one run at a time, never left half-written.

- ``check_writable`` / ``check_folder``: one line (``UserError``) now, not a traceback after the
  work, when a path cannot be written: a folder where a file goes, a device such as
  ``/dev/null``, a name too long for the file system, a parent that is a file.
- ``RowFile``: a CSV that grows row by row. It is locked (``flock``) for as long as the run
  holds it, so a second run writing the same file fails at once instead of interleaving
  with the first; and every ``append`` either reaches the disk whole or not at all (a failed
  write, a full disk, Ctrl-C, is cut back to the last whole append), so the file always
  ends at a whole row.
- ``write_atomic``: a side file (a case, the summary, the plot) is written to a temporary
  file and renamed over its name: readers see the old file or the new one, never a part.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from types import TracebackType

from oracle.core.errors import UserError

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once: os.umask can only be read by setting it


_write = os.write  # one name for every write here, so that a test can fill the disk


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written (a write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[_write(fd, view) :]


def _problem(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _name_max(folder: Path) -> int:
    """The longest file name, in bytes, that the file system holding ``folder`` (or its parent) takes."""
    for candidate in (folder, *folder.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def check_writable(path: str | Path, what: str = "--out") -> Path:
    """Create the parent folder if needed; fail now, with one line, if ``path`` cannot be a regular file.

    ``what`` names the path in the message: the option (``--out``) or what the file is.
    """
    path = Path(path)
    label = f"{what} {path}"
    if not path.name or path.name in (".", ".."):
        raise UserError(f"{label}: not a file name")
    size, limit = len(os.fsencode(path.name)), _name_max(path.parent)
    if size > limit:
        raise UserError(f"{what}: file name too long ({size} bytes; this file system takes {limit})")
    check_folder(path.parent, label)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UserError(f"{label}: {_problem(exc)}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{label}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{label}: not a regular file (a device, pipe or socket)")
        if not os.access(path, os.W_OK):
            raise UserError(f"{label}: not writable")
    return path


def check_folder(folder: str | Path, what: str) -> Path:
    """Create ``folder`` if needed; one line, starting with ``what``, if it is not a writable folder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"{what}: {folder} exists and is not a folder") from None
    except OSError as exc:
        raise UserError(f"{what}: cannot create {folder} ({_problem(exc)})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{what}: {folder} is not writable")
    return folder


class RowFile:
    """A CSV held by this run alone (``flock``) and written in whole appends; ``sha256`` of what it holds."""

    def __init__(self, path: str | Path, what: str = "--out") -> None:
        self.path = Path(path)
        self.what = what
        self.size = 0  # bytes on disk, always at the end of a whole append
        self._hash = hashlib.sha256()
        try:  # no O_TRUNC: the file is emptied only once it is ours
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise UserError(f"{what} {self.path}: cannot open it ({_problem(exc)})") from None
        try:
            if not stat.S_ISREG(os.fstat(self._fd).st_mode):
                raise UserError(f"{what} {self.path}: not a regular file")
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(
                    f"{what} {self.path}: another run is writing it (the file is locked); "
                    "wait for it to finish or choose another path"
                ) from None
            os.ftruncate(self._fd, 0)
        except BaseException:
            os.close(self._fd)
            raise

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def append(self, text: str) -> None:
        """Write ``text`` whole, or cut the file back to where it was and raise (an OSError as UserError)."""
        data = text.encode()
        try:
            _write_all(self._fd, data)
        except BaseException as exc:
            whole = self._cut_back()
            if isinstance(exc, OSError):
                ends = "it ends at its last whole row" if whole else "it may end mid-row"
                raise UserError(f"{self.path}: cannot write ({_problem(exc)}); {ends}") from None
            raise
        self.size += len(data)
        self._hash.update(data)

    def _cut_back(self) -> bool:
        try:
            os.ftruncate(self._fd, self.size)
            os.lseek(self._fd, self.size, os.SEEK_SET)
        except OSError:
            return False
        return True

    def close(self) -> None:
        """Release the lock; the rows written stay."""
        if self._fd >= 0:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = -1

    def __enter__(self) -> RowFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``path`` whole, through a temporary file renamed over it; ``UserError`` naming it if not."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({_problem(exc)})") from None
    try:
        try:
            _write_all(fd, raw)
        finally:
            os.close(fd)
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private; a report is not
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise UserError(f"{path}: cannot write ({_problem(exc)})") from None
        raise
    return path
