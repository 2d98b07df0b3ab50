"""Run LLM-written Pyomo code in a sandboxed child process; it never runs in this process.

Threat model
------------
The code comes from a language model that read text we do not control (a problem statement
can carry a prompt injection), so it may be wrong, hostile or both: endless loops, huge
allocations, fork bombs, reading secrets (environment, files) to echo them back into the LLM
feedback, writing outside its directory, opening network connections. The sandbox must
return a clear outcome for each and leave the caller, the machine and the user's files
unharmed. It is not meant to stop a kernel exploit; run untrusted services in a VM.

Layers (Linux), outermost first
-------------------------------
1. Namespaces: ``unshare --user --map-root-user --net --mount --pid --fork --kill-child
   --mount-proc`` when the kernel allows it (else ``unshare -rn``): no network at all, its
   own /proc, and when its pid 1 dies the kernel kills every process the code started.
   Without any network namespace the run is refused (``SandboxLimits.network="refuse"``) or
   goes ahead with a warning (``"warn"``).
2. File system (inside the mount namespace): the child pivots into a fresh root that holds
   only the Python installation, the solver packages, the sandbox's own code and directory,
   the loader's cache and its own /proc (the host's home directories, configuration and
   projects are not there at all); in it the scratch directory becomes a small tmpfs, the
   result file is bind-mounted on itself and every other mount is remounted read-only. Where
   the kernel refuses the pivot, the read-only host is the fallback. Then the child gives up
   every capability (``no_new_privs``, empty bounding set): code past the audit hook can
   mount nothing, so no tmpfs outside the memory limits and no mount flag set back.
3. Limits: RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_CORE=0, RLIMIT_NPROC for
   non-root users; for root (exempt from RLIMIT_NPROC) a pids cgroup capped at
   ``max_processes`` and a memory cgroup (the memory limit plus the scratch tmpfs: it counts
   tmpfs pages, which RLIMIT_AS does not; swap capped at nothing where the kernel accounts
   it) when the cgroup file system is writable; a
   wall-clock limit that kills the whole process group (``start_new_session``), and with it
   the pid namespace.
4. Process: ``python -I -B`` (no environment-driven imports, no bytecode writes), cwd and
   HOME/TMPDIR in the scratch directory, an environment without secrets, stdin closed,
   stdout/stderr capped.
5. Audit hook (``sandbox_guard.py``), installed after Pyomo and the solvers are imported and
   before the code runs: no sockets, processes, ctypes, signals, rlimit changes or GC-heap
   walks; writes only in the scratch directory, reads only of the Python installation.
   An audit hook alone can be bypassed by determined code, hence layers 1-3.

The outcome comes from a JSON file the harness writes (``sandbox_harness.py``), never from
stdout; it is untrusted data and is validated here.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from optiform.errors import SandboxError
from optiform.solvers.sandbox_process import RawRun, probe_isolation, run_isolated

log = logging.getLogger(__name__)

HARNESS = Path(__file__).resolve().with_name("sandbox_harness.py")
RESULT_STATUSES = frozenset({"optimal", "infeasible", "unbounded", "infeasible_or_unbounded",
                             "time_limit", "error"})
_MAX_RESULT_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    wall_seconds: float = 30.0
    cpu_seconds: float = 30.0
    memory_mb: int = 1024
    max_output_bytes: int = 64_000
    max_processes: int = 32
    network: Literal["refuse", "warn"] = "refuse"  # when network isolation is unavailable


class SandboxResult(BaseModel):
    status: Literal["ok", "error", "timeout", "memory", "killed", "refused"]
    result: dict[str, Any] | None
    """The harness's JSON record: status, objective, values, message, traceback."""
    stdout: str
    stderr: str
    returncode: int | None
    wall_time: float
    network_isolated: bool
    message: str
    """What happened and what to do, for a person or for an LLM repairing the code."""

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.result is not None


def network_isolation_available() -> bool:
    """Whether ``unshare -rn`` works here (probed once, cached)."""
    return probe_isolation().network


@functools.lru_cache(maxsize=1)
def _package_paths() -> tuple[str, ...]:
    """Where Pyomo and the solver bindings live, for a child that cannot see PYTHONPATH."""
    paths = []
    for name in ("pyomo", "highspy", "pyscipopt"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            paths.append(str(Path(spec.origin).resolve().parent.parent))
    return tuple(dict.fromkeys(paths))


def run_code(code: str, *, data: dict[str, Any] | None = None,
             mode: Literal["build_model", "script"] = "build_model",
             limits: SandboxLimits | None = None, solver: str = "highs",
             time_limit: float = 20.0) -> SandboxResult:
    """Run ``code`` in the sandbox, solve the model it builds, and say what happened.

    ``mode="build_model"``: the code defines ``build_model(data)`` returning a Pyomo model.
    ``mode="script"``: the code is a whole program with ``data`` predefined that leaves its
    model in a global named ``model``. Outcomes of the code are returned, never raised;
    SandboxError is raised only for a bad call (unknown mode or solver, data not JSON).
    """
    limits = limits or SandboxLimits()
    if mode not in ("build_model", "script"):
        raise SandboxError(f"unknown sandbox mode {mode!r}", hint="use 'build_model' or 'script'")
    if solver not in ("highs", "scip"):
        raise SandboxError(f"unknown solver {solver!r}", hint="use 'highs' or 'scip'")
    try:
        payload = json.dumps(data or {}, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SandboxError(f"the data for the sandbox is not plain JSON: {exc}",
                           hint="pass numbers, strings, lists and dicts only") from exc
    isolation = probe_isolation()
    if not isolation.network and limits.network == "refuse":
        return SandboxResult(
            status="refused", result=None, stdout="", stderr="", returncode=None, wall_time=0.0,
            network_isolated=False,
            message="refused to run generated code: network isolation is unavailable here "
                    "(`unshare -rn true` fails). Allow unprivileged user namespaces (e.g. "
                    "sysctl kernel.unprivileged_userns_clone=1 or "
                    "kernel.apparmor_restrict_unprivileged_userns=0), or set the sandbox "
                    "network policy to 'warn' to run without it.")
    if not isolation.network:
        log.warning("running generated code WITHOUT network isolation (unshare unavailable)")
    root = Path(tempfile.mkdtemp(prefix="optiform-sandbox-"))
    try:
        (root / "work").mkdir()
        (root / "solution.py").write_text(code, encoding="utf-8")
        (root / "data.json").write_text(payload, encoding="utf-8")
        (root / "result.json").write_text("", encoding="utf-8")
        command = [sys.executable, "-I", "-B", str(HARNESS), str(root), "--mode", mode,
                   "--solver", solver,
                   "--time-limit", f"{min(time_limit, 0.8 * limits.wall_seconds):.3f}",
                   "--lock-mb", str(min(limits.memory_mb, 256) if isolation.full else 0)]
        for path in _package_paths():
            command += ["--path", path]
        raw = run_isolated(command, cwd=str(root / "work"), isolation=isolation,
                           wall_seconds=limits.wall_seconds, cpu_seconds=limits.cpu_seconds,
                           memory_mb=limits.memory_mb, max_processes=limits.max_processes,
                           max_output_bytes=limits.max_output_bytes)
        record, problem = _read_record(root / "result.json")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    outcome = classify(raw, record, problem, limits, isolation.network)
    if not isolation.network:
        outcome.message += "\n(warning: ran without network isolation)"
    fs = (record or {}).get("sandbox") or {}
    if record is not None and not fs.get("filesystem_locked"):
        why = fs.get("lock_error") or ", ".join(fs.get("unlocked_mounts") or []) or \
            "no mount namespace here"
        log.warning("generated code ran without a read-only file system (%s)", why)
        outcome.message += f"\n(warning: ran without a read-only file system: {why})"
    if record is not None and fs.get("capabilities_error"):
        log.warning("generated code ran holding capabilities (%s)", fs["capabilities_error"])
    if record is not None and fs.get("filesystem_locked") and not fs.get("view"):
        log.info("generated code saw the host file system read-only, not a private view (%s)",
                 fs.get("view_error", "unknown"))
    return outcome


def _read_record(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The harness's record if it is well formed, else None and why not."""
    try:
        if path.stat().st_size > _MAX_RESULT_BYTES:
            return None, "the result file is too large"
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, f"the result file could not be read ({exc})"
    if not text:
        return None, ""
    try:
        record = json.loads(text)
    except ValueError:
        return None, "the result file is not valid JSON (cut short?)"
    if not isinstance(record, dict) or record.get("status") not in RESULT_STATUSES:
        return None, "the result file does not have the expected shape"
    if not isinstance(record.get("values"), dict) or not isinstance(record.get("message"), str):
        return None, "the result file does not have the expected shape"
    return record, ""


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


def classify(raw: RawRun, record: dict[str, Any] | None, problem: str, limits: SandboxLimits,
             network_isolated: bool) -> SandboxResult:
    """Turn what the child did into one SandboxResult (pure)."""

    def result(status: Any, message: str, rec: dict[str, Any] | None = None) -> SandboxResult:
        return SandboxResult(status=status, result=rec, stdout=raw.stdout, stderr=raw.stderr,
                             returncode=raw.returncode, wall_time=raw.wall_time,
                             network_isolated=network_isolated, message=message)

    mem = f"{limits.memory_mb} MB"
    if raw.timed_out:
        return result("timeout", f"stopped after the {limits.wall_seconds:g}s wall-clock limit: "
                      "the code ran too long (an endless loop, or a model too large to build "
                      "and solve in time); make it finish sooner")
    if record is not None:
        if record.get("out_of_memory") is True:
            return result("memory", f"the code ran out of memory (limit {mem}); build a "
                          f"smaller model or avoid huge lists and arrays\n{record['message']}",
                          record)
        if record["status"] == "error":
            return result("error", record["message"], record)
        return result("ok", record["message"], record)
    rc = raw.returncode
    sig = -rc if rc is not None and rc < 0 else 0
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL
                                 and raw.cpu_time >= limits.cpu_seconds - 0.5):
        return result("timeout", f"stopped at the {limits.cpu_seconds:g}s CPU-time limit: the "
                      "code computed too long; make it finish sooner")
    if sig:
        return result("killed", f"the process was killed by {_signal_name(sig)} before it "
                      f"wrote a result; often an allocation failing at the {mem} memory limit "
                      "inside native code, so build a smaller model" + _tail(raw.stderr))
    why = problem or "no result was written"
    return result("error", f"the code ended the process (exit code {rc}) before the sandbox "
                  f"could report a result ({why}); do not call sys.exit/os._exit, and leave "
                  "the model for the harness to solve" + _tail(raw.stderr))


def _tail(text: str, lines: int = 12) -> str:
    tail = "\n".join(text.strip().splitlines()[-lines:])
    return f"\nstderr:\n{tail}" if tail else ""
