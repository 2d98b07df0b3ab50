"""One writer per job folder: an ``eval run`` folder or a library that ``learn``, ``evolve`` or
``verify`` works on. Two processes on one of them would both do every item (results.jsonl
would hold each twice, and an insight's counts would be bumped twice); the second is told,
at once, which process holds it.

An advisory ``flock`` on a small file beside the job's data: the kernel drops it when the
process ends, however it ends, so a crash leaves no stale lock (only the small file, which the
next job takes over). A job that ends removes the file while it still holds the lock; a
process that was waiting on the removed file finds it gone once it holds it, and starts over
on a new one, so two processes never hold different files of one name. Where ``fcntl`` is
missing (Windows) there is no lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from optiform.errors import OptiformError


@contextmanager
def exclusive(path: Path, what: str, error: type[OptiformError], hint: str) -> Iterator[None]:
    """Hold the lock file ``path`` for the block; ``error`` naming ``what`` and the process
    that holds it when another one does."""
    try:
        import fcntl
    except ImportError:  # no flock on this system: no lock, as before
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(f"cannot lock {what}: {exc.strerror or exc} ({path})",
                    hint="check that its folder exists and can be written") from None
    fh = _acquire(path, what, error, hint, fcntl)
    with fh:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            with suppress(OSError):  # removed while held: no one else holds this file
                path.unlink()
            fcntl.flock(fh, fcntl.LOCK_UN)


def _acquire(path: Path, what: str, error: type[OptiformError], hint: str, fcntl: Any) -> IO[str]:
    """The lock file, open and flock'ed; the file at ``path`` is the one held (a holder that
    ended may have removed the file this process opened: then it opens the new one)."""
    while True:
        try:
            fh = path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise error(f"cannot lock {what}: {exc.strerror or exc} ({path})",
                        hint="check that its folder exists and can be written") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            raise error(f"{what} is in use by another process"
                        + (f" (pid {holder})" if holder.isdigit() else ""), hint=hint) from None
        try:
            same = os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fh
        fh.close()  # the holder removed it after this process opened it: take the new one
