"""One writer per job folder: an ``eval run`` folder or a library that ``learn``, ``evolve`` or
``verify`` works on. Two processes on one of them would both do every item (results.jsonl
would hold each twice, and an insight's counts would be bumped twice); the second is told,
at once, which process holds it.

An advisory ``flock`` on a small file beside the job's data: the kernel drops it when the
process ends, however it ends, so a crash leaves no stale lock. Where ``fcntl`` is missing
(Windows) there is no lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
        fh = path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot lock {what}: {exc.strerror or exc} ({path})",
                    hint="check that its folder exists and can be written") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            raise error(f"{what} is in use by another process"
                        + (f" (pid {holder})" if holder.isdigit() else ""), hint=hint) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
