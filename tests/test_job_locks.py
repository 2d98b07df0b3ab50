"""The job lock: one holder, the file removed when the job ends, a removed file not held."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from optiform.errors import EvalError
from optiform.job_locks import exclusive


def test_the_lock_file_is_removed_when_the_job_ends(tmp_path: Path) -> None:
    lock = tmp_path / ".out.run.lock"
    with exclusive(lock, "the run", EvalError, hint="h"):
        assert lock.read_text() == str(os.getpid())
    assert not lock.exists()
    with pytest.raises(RuntimeError), exclusive(lock, "the run", EvalError, hint="h"):
        raise RuntimeError("the job failed")
    assert not lock.exists()  # also when the job raised


def test_a_second_holder_is_refused_naming_the_first(tmp_path: Path) -> None:
    lock = tmp_path / ".out.run.lock"
    with exclusive(lock, "the run", EvalError, hint="wait for it"):
        busy = rf"the run is in use by another process \(pid {os.getpid()}\)"
        with pytest.raises(EvalError, match=busy), \
                exclusive(lock, "the run", EvalError, hint="wait for it"):
            pass
        assert lock.exists()  # the refused one leaves the holder's file alone
    with exclusive(lock, "the run", EvalError, hint="h"):
        pass


def test_a_file_left_by_a_killed_holder_is_taken_over(tmp_path: Path) -> None:
    lock = tmp_path / ".out.run.lock"
    code = ("import fcntl, os, sys; f = open(sys.argv[1], 'a+'); "
            "fcntl.flock(f, fcntl.LOCK_EX); f.write('12345'); f.flush(); os._exit(9)")
    subprocess.run([sys.executable, "-c", code, str(lock)], check=False)
    assert lock.read_text() == "12345"  # killed: its file stays, its flock went with it
    with exclusive(lock, "the run", EvalError, hint="h"):
        assert lock.read_text() == str(os.getpid())
    assert not lock.exists()


def test_a_file_removed_after_it_was_opened_is_not_held(tmp_path: Path, monkeypatch) -> None:
    """The race the removal opens: B opens the file, A ends and removes it, B flocks the
    removed file. B must open the path again, or a third process C would hold a new file of
    the same name beside B."""
    import optiform.job_locks as job_locks

    lock = tmp_path / ".out.run.lock"
    real_open = Path.open
    opened: list[int] = []

    def open_then_lose_it(self: Path, *args, **kwargs):
        fh = real_open(self, *args, **kwargs)
        opened.append(os.fstat(fh.fileno()).st_ino)
        if len(opened) == 1:  # the holder ends between this open and the flock
            self.unlink()
        return fh

    monkeypatch.setattr(job_locks.Path, "open", open_then_lose_it)
    with exclusive(lock, "the run", EvalError, hint="h"):
        assert len(opened) == 2  # it opened the path again
        assert os.stat(lock).st_ino == opened[1]
    assert not lock.exists()
