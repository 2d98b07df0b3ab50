"""Starting and stopping the sandbox child: namespaces, rlimits, pids and memory cgroups, a clean
environment, capped output and a wall-clock kill. Pure OS plumbing; ``sandbox.py`` decides
what the outcome means."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

_NS_FULL = ("--user", "--map-root-user", "--net", "--mount", "--pid", "--fork", "--kill-child",
            "--mount-proc")
_NS_NET = ("--user", "--map-root-user", "--net")
# pid 1 of the new pid namespace: a shell that runs the harness as a normal process (pid 1
# ignores signals it has no handler for, which would defeat RLIMIT_CPU's SIGXCPU). It waits in
# "/", not in the scratch directory: pivot_root moves a working directory only when it is the
# old root, and one left in the host's tree would let /proc/1/cwd reach the host.
_INIT = ("/bin/sh", "-c",
         'd=$PWD; cd / || exit 125; (cd "$d" && unset OLDPWD && exec "$@"); exit $?',
         "optiform-sandbox-init")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE", re.IGNORECASE)
_ENV_PASSED = ("LANG", "LC_ALL", "LC_CTYPE", "TZ")
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Isolation:
    """What the kernel lets us do: ``prefix`` goes in front of the child's command."""

    prefix: tuple[str, ...] = ()
    network: bool = False  # a private network namespace (no interfaces but a down loopback)
    full: bool = False  # also private pid + mount namespaces (file-system lock, kill-all)


@dataclass
class RawRun:
    returncode: int | None  # negative: killed by that signal
    stdout: str
    stderr: str
    wall_time: float
    cpu_time: float
    timed_out: bool


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=1)
def probe_isolation() -> Isolation:
    """Try ``unshare`` with every namespace, then with the network one only (cached)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return Isolation()
    if os.path.exists(_INIT[0]) and _works([unshare, *_NS_FULL, "--", *_INIT, "true"]):
        return Isolation((unshare, *_NS_FULL, "--", *_INIT), network=True, full=True)
    if _works([unshare, *_NS_NET, "--", "true"]):
        return Isolation((unshare, *_NS_NET, "--"), network=True)
    return Isolation()


def child_env(scratch: str) -> dict[str, str]:
    """A minimal environment: no secrets, no optiform or OpenAI settings."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch,
           "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    env.update({k: os.environ[k] for k in _ENV_PASSED if k in os.environ})
    return {k: v for k, v in env.items()
            if not _SECRET_NAME.search(k) and not k.startswith(("OPENAI_", "OPTIFORM_"))}


def _user_tasks(uid: int) -> int:
    """Tasks (threads count: RLIMIT_NPROC counts them) owned by ``uid`` right now."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            text = status.read_text()
            if re.search(rf"^Uid:\s+{uid}\s", text, re.MULTILINE):
                threads = re.search(r"^Threads:\s+(\d+)", text, re.MULTILINE)
                total += int(threads.group(1)) if threads else 1
    return total


# -- cgroups (root only: the kernel exempts root from RLIMIT_NPROC) ----------------------


_V2_NO_SWAP = {"memory.swap.max": "0"}


def _cgroup_bases(controller: str) -> list[Path]:
    """Our own cgroup in each hierarchy (v1 or v2) where ``controller`` can be used."""
    out = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controller in controllers.split(","):
                out.append(Path("/sys/fs/cgroup") / controller / path.lstrip("/"))
            elif controllers == "" and controller in _read(
                    Path("/sys/fs/cgroup") / path.lstrip("/") / "cgroup.subtree_control").split():
                out.append(Path("/sys/fs/cgroup") / path.lstrip("/"))
    return out


def _make_cgroup(controller: str, limits: dict[str, str],
                 optional: dict[str, str] | None = None) -> Path | None:
    """A fresh cgroup for ``controller`` under our own, with ``limits`` written, or None."""
    return _make_cgroup_in(_cgroup_bases(controller), limits, optional)


def _make_cgroup_in(bases: list[Path], limits: dict[str, str],
                    optional: dict[str, str] | None = None) -> Path | None:
    """``limits`` must all be written; ``optional`` ones are written where the kernel has
    them (swap accounting is a boot option)."""
    for base in bases:
        _remove_stale(base)
        group = base / f"optiform-sandbox-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            group.mkdir()
            for name, value in limits.items():
                (group / name).write_text(value)
            for name, value in (optional or {}).items():
                with contextlib.suppress(OSError):
                    (group / name).write_text(value)
            return group
        except OSError:
            remove_cgroup(group, grace=0.0)
    return None


def make_pids_cgroup(max_tasks: int) -> Path | None:
    """A fresh pids cgroup (v1 or v2) under our own, capped at ``max_tasks``, or None."""
    if os.geteuid() != 0:
        return None
    return _make_cgroup("pids", {"pids.max": str(max_tasks)})


def make_memory_cgroup(max_bytes: int) -> Path | None:
    """A fresh memory cgroup (v1 or v2) capped at ``max_bytes``, or None.

    RLIMIT_AS bounds what the code maps, not what it puts in a tmpfs: code that got past the
    audit hook could mount one in its nested namespace and fill the host's memory. The cgroup
    counts tmpfs pages too. Swap is capped at nothing where the kernel accounts it (else
    the pages over the limit would go to swap instead of the code being killed)."""
    if os.geteuid() != 0:
        return None
    limit = str(max_bytes)
    group = _make_cgroup("memory", {"memory.limit_in_bytes": limit},
                         {"memory.memsw.limit_in_bytes": limit})  # v1: memory + swap
    if group is None:
        group = _make_cgroup("memory", {"memory.max": limit}, _V2_NO_SWAP)
    return group


def make_cgroups(max_tasks: int, max_bytes: int) -> list[Path]:
    """The sandbox's cgroups (root only): pids capped at ``max_tasks`` and memory at
    ``max_bytes``. On cgroup v2 a process is in one group of the one hierarchy, so both
    limits go into one group there (two would move the child out of the first); on v1 each
    controller has its own hierarchy and group."""
    if os.geteuid() != 0:
        return []
    unified = [b for b in _cgroup_bases("pids") if b in _cgroup_bases("memory")]
    if unified:
        group = _make_cgroup_in(unified, {"pids.max": str(max_tasks),
                                          "memory.max": str(max_bytes)}, _V2_NO_SWAP)
        if group is not None:
            return [group]
    groups: list[Path] = []
    try:
        for group in (make_pids_cgroup(max_tasks), make_memory_cgroup(max_bytes)):
            if group is not None:
                groups.append(group)
    except BaseException:
        for group in groups:
            remove_cgroup(group, grace=0.0)
        raise
    return groups


def _remove_stale(base: Path) -> None:
    """Remove sandbox cgroups left by processes that died before cleaning up."""
    for group in base.glob("optiform-sandbox-*-*"):
        owner = group.name.split("-")[2]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            remove_cgroup(group, grace=0.0)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def remove_cgroup(group: Path, grace: float = 2.0) -> None:
    """Kill whatever is still in ``group`` and remove it."""
    deadline = time.monotonic() + grace
    while True:
        pids = [int(p) for p in _read(group / "cgroup.procs").split()]
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            group.rmdir()
            return
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)


# -- running -----------------------------------------------------------------------------


def _preexec(memory_bytes: int, cpu_seconds: int, nproc: int | None,
             cgroup_fds: list[int]) -> Any:
    def limit() -> None:  # runs in the forked child before exec: system calls only
        for fd in cgroup_fds:
            os.write(fd, str(os.getpid()).encode())
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    return limit


def _drain(stream: IO[bytes], cap: int, sink: list[bytes], counter: list[int]) -> None:
    """Read ``stream`` to its end, keeping the first ``cap`` bytes."""
    kept = 0
    fd = stream.fileno()
    with contextlib.suppress(OSError, ValueError):
        while chunk := os.read(fd, 65536):
            counter[0] += len(chunk)
            if kept < cap:
                sink.append(chunk[: cap - kept])
                kept += len(sink[-1])


def _text(chunks: list[bytes], total: int) -> str:
    data = b"".join(chunks)
    text = data.decode("utf-8", errors="replace")
    if total > len(data):
        text += f"\n[output cut: {total - len(data)} more bytes]"
    return text


def run_isolated(command: list[str], *, cwd: str, isolation: Isolation, wall_seconds: float,
                 cpu_seconds: float, memory_mb: int, max_processes: int,
                 max_output_bytes: int) -> RawRun:
    """Run ``command`` under every limit this machine allows and wait for it (or kill it)."""
    # the memory cgroup allows the address-space limit plus the scratch tmpfs (at most 256 MB)
    groups = make_cgroups(max_processes, (memory_mb + 256 + 64) * 1024 * 1024)
    fds: list[int] = []
    try:
        fds.extend(os.open(g / "cgroup.procs", os.O_WRONLY) for g in groups)
    except BaseException:
        for fd in fds:
            os.close(fd)
        for group in groups:
            remove_cgroup(group, grace=0.0)
        raise
    nproc = None if os.geteuid() == 0 else _user_tasks(os.geteuid()) + max_processes
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            [*isolation.prefix, *command], cwd=cwd, env=child_env(cwd),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, close_fds=True,
            preexec_fn=_preexec(memory_mb * 1024 * 1024, max(1, round(cpu_seconds)), nproc,
                                fds))
    except BaseException:
        for group in groups:
            remove_cgroup(group)
        raise
    finally:
        for fd in fds:
            os.close(fd)
    outs: tuple[list[bytes], list[bytes]] = ([], [])
    totals = ([0], [0])
    readers = [threading.Thread(target=_drain, args=(s, max_output_bytes, outs[i], totals[i]),
                                daemon=True) for i, s in enumerate((proc.stdout, proc.stderr))]
    for r in readers:
        r.start()
    timed_out, status, usage = False, None, None
    try:
        while status is None:
            pid, status_, usage_ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, usage = status_, usage_
                break
            if time.monotonic() - started > wall_seconds:
                timed_out = True
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
    finally:
        if status is None:  # interrupted (KeyboardInterrupt...): leave nothing behind
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for group in groups:
            remove_cgroup(group)
    wall = time.monotonic() - started
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything the code left in its process group
    for reader, stream in zip(readers, (proc.stdout, proc.stderr), strict=True):
        reader.join(timeout=1.0)
        if stream is not None and not reader.is_alive():  # else a straggler holds the pipe
            stream.close()
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    if isolation.full and 128 < rc <= 128 + 64:  # the init shell reports a signal as 128+N
        rc = -(rc - 128)
    cpu = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
    return RawRun(rc, _text(list(outs[0]), totals[0][0]), _text(list(outs[1]), totals[1][0]),
                  wall, cpu, timed_out)
