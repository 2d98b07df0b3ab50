"""The sandbox that runs LLM-written Pyomo code: good code, broken code and hostile code.

Every test ends by checking that the caller is unharmed: same cwd and environment, no scratch
directory and no sandbox process left behind. Limits are short so the file stays fast.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest

from optiform.errors import SandboxError
from optiform.solvers import sandbox, sandbox_process
from optiform.solvers.sandbox import (
    SandboxLimits,
    SandboxResult,
    network_isolation_available,
    run_code,
)

ISOLATED = network_isolation_available()
FULL = sandbox_process.probe_isolation().full
FAST = SandboxLimits(wall_seconds=20, cpu_seconds=20, memory_mb=1024,
                     network="refuse" if ISOLATED else "warn")
SHORT = SandboxLimits(wall_seconds=2.5, cpu_seconds=10, memory_mb=1024, network=FAST.network)
GUARD = Path(sandbox.__file__).with_name("sandbox_guard.py")

LP = """
import pyomo.environ as pyo

def build_model(data):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(["a", "b"], domain=pyo.NonNegativeReals)
    m.c = pyo.Constraint(expr=m.x["a"] + 2 * m.x["b"] <= data["capacity"])
    m.y = pyo.Var(bounds=(0, 4))
    m.obj = pyo.Objective(expr=3 * m.x["a"] + 7 * m.x["b"] + m.y, sense=pyo.maximize)
    return m
"""


def _with_body(body: str) -> str:
    """LP whose build_model first runs ``body`` (indented by the caller's 4 spaces)."""
    return LP.replace("    m = pyo.ConcreteModel()", body + "\n    m = pyo.ConcreteModel()")


@pytest.fixture(autouse=True)
def caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Scratch directories go under tmp_path so leftovers can be seen; check the caller."""
    scratch_parent = tmp_path / "sandboxes"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    cwd, env = os.getcwd(), dict(os.environ)
    yield scratch_parent
    assert os.getcwd() == cwd
    changed = {k for k in env.keys() | os.environ.keys()
               if env.get(k) != os.environ.get(k) and k != "PYTEST_CURRENT_TEST"}
    assert not changed, f"environment changed: {sorted(changed)}"
    assert list(scratch_parent.iterdir()) == [], "a scratch directory was left behind"
    assert _processes_mentioning(str(scratch_parent)) == [], "a sandbox process survived"


def _box(tmp_path: Path) -> Path:
    """A sandbox folder as ``run_code`` lays it out: scratch, view, data and result files."""
    root = tmp_path / "box"
    (root / "work").mkdir(parents=True)
    (root / "view").mkdir()
    (root / "result.json").write_text("")
    (root / "data.json").write_text("{}")
    return root


def _guarded_probe(root: Path, body: str) -> sandbox_process.RawRun:
    """Run ``body`` in the sandbox's namespaces without the audit hook, with the guard module
    loaded as ``g`` and ``os`` imported: what code that got past the hook could do."""
    probe = (f"import importlib.util as u, os; "
             f"s = u.spec_from_file_location('g', {str(GUARD)!r}); "
             f"g = u.module_from_spec(s); s.loader.exec_module(g); " + body)
    return sandbox_process.run_isolated(
        [sys.executable, "-I", "-B", "-c", probe], cwd=str(root / "work"),
        isolation=sandbox_process.probe_isolation(), wall_seconds=30, cpu_seconds=30,
        memory_mb=1024, max_processes=8, max_output_bytes=10_000)


def _processes_mentioning(marker: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


# -- ordinary code -----------------------------------------------------------------------


def test_build_model_solves_a_small_lp() -> None:
    res = run_code(LP, data={"capacity": 10}, limits=FAST)
    assert isinstance(res, SandboxResult)
    assert res.ok, res.message
    assert res.result is not None and res.result["status"] == "optimal"
    assert res.result["objective"] == pytest.approx(39.0)  # x_b = 5 (7*5) + y = 4
    assert res.result["values"]["x"] == {"a": pytest.approx(0.0), "b": pytest.approx(5.0)}
    assert res.result["values"]["y"] == pytest.approx(4.0)
    assert res.network_isolated is ISOLATED
    if FULL:
        assert res.result["sandbox"]["filesystem_locked"] is True
        assert res.result["sandbox"]["view"] is True  # the host's files are not there at all
    # the solve ran without a capability, wherever it ran
    assert res.result["sandbox"]["capabilities_dropped"] is True, res.result["sandbox"]


def test_script_mode_finds_the_global_model_even_if_the_script_solved_it() -> None:
    script = """
import pyomo.environ as pyo
model = pyo.ConcreteModel()
model.n = pyo.Var(domain=pyo.NonNegativeIntegers)
model.c = pyo.Constraint(expr=3 * model.n <= data["budget"])
model.obj = pyo.Objective(expr=model.n, sense=pyo.maximize)
pyo.SolverFactory("highs").solve(model)
print("script says", pyo.value(model.n))
"""
    res = run_code(script, data={"budget": 10}, mode="script", limits=FAST)
    assert res.ok, res.message
    assert res.result is not None and res.result["objective"] == pytest.approx(3.0)
    assert "script says 3" in res.stdout


def test_nonlinear_model_goes_to_scip_and_infeasible_is_a_status() -> None:
    nonlinear = ("import pyomo.environ as pyo\ndef build_model(data):\n"
                 "    m = pyo.ConcreteModel(); m.x = pyo.Var(bounds=(0.5, 3))\n"
                 "    m.o = pyo.Objective(expr=(m.x - 2) ** 4 + 1)\n    return m\n")
    res = run_code(nonlinear, limits=FAST)
    assert res.ok and res.result is not None, res.message
    assert res.result["solver"] == "scip" and res.result["objective"] == pytest.approx(1.0)
    infeasible = LP.replace("return m", "m.bad = pyo.Constraint(expr=m.y >= 5)\n    return m")
    res = run_code(infeasible, data={"capacity": 10}, limits=FAST)
    assert res.ok and res.result is not None and res.result["status"] == "infeasible"
    assert "infeasible" in res.message


def test_syntax_error_is_reported_with_file_and_line() -> None:
    res = run_code("import pyomo.environ as pyo\ndef build_model(data)\n    return 1\n",
                   limits=FAST)
    assert res.status == "error" and not res.ok
    assert "SyntaxError" in res.message and 'File "solution.py", line 2' in res.message
    assert "sandbox_harness" not in res.message


def test_runtime_error_traceback_points_at_the_users_line() -> None:
    code = _with_body('    costs = data["costs"]\n    total = costs["missing"]')
    res = run_code(code, data={"costs": {"a": 1}}, limits=FAST)
    assert res.status == "error"
    assert res.result is not None and res.result["traceback"]
    assert "KeyError: 'missing'" in res.message
    assert 'File "solution.py", line 6, in build_model' in res.message
    assert 'total = costs["missing"]' in res.message
    assert "sandbox_harness" not in res.message and "runpy" not in res.message


def test_missing_build_model_and_exit_are_explained() -> None:
    res = run_code("x = 1\n", limits=FAST)
    assert res.status == "error" and "build_model(data)" in res.message
    res = run_code(_with_body("    import os\n    os._exit(3)"), limits=FAST)
    assert res.status == "error" and res.returncode == 3 and "os._exit" in res.message


def test_bad_calls_raise() -> None:
    with pytest.raises(SandboxError):
        run_code(LP, mode="notebook")  # type: ignore[arg-type]
    with pytest.raises(SandboxError):
        run_code(LP, data={"when": object()})


# -- hostile code ------------------------------------------------------------------------


def test_endless_loop_times_out_fast() -> None:
    started = time.monotonic()
    res = run_code("while True:\n    pass\n", limits=SHORT)
    assert res.status == "timeout" and "wall-clock" in res.message
    assert time.monotonic() - started < SHORT.wall_seconds + 3


def test_cpu_limit_stops_a_busy_loop() -> None:
    limits = SandboxLimits(wall_seconds=15, cpu_seconds=1, network=FAST.network)
    res = run_code("while True:\n    pass\n", limits=limits)
    assert res.status == "timeout" and "CPU" in res.message


def test_allocating_10_gb_hits_the_memory_limit() -> None:
    res = run_code(_with_body("    hog = bytearray(10 * 1024 ** 3)"), limits=FAST)
    assert res.status == "memory", res.message
    assert "MemoryError" in res.message


def test_socket_to_localhost_is_refused() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        code = _with_body(f"    import socket\n    s = socket.socket()\n"
                          f"    s.connect(('127.0.0.1', {port}))\n    s.sendall(b'leak')")
        res = run_code(code, limits=FAST)
        assert res.status == "error" and "socket" in res.message
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.mark.skipif(not ISOLATED, reason="needs unshare -rn (network namespace)")
def test_network_namespace_blocks_a_socket_even_without_the_audit_hook(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
        raw = sandbox_process.run_isolated(
            [sys.executable, "-I", "-c", probe], cwd=str(tmp_path),
            isolation=sandbox_process.probe_isolation(), wall_seconds=10, cpu_seconds=10,
            memory_mb=512, max_processes=8, max_output_bytes=10_000)
        assert raw.returncode != 0 and ("unreachable" in raw.stderr or "refused" in raw.stderr)
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_writing_outside_the_scratch_directory_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    code = _with_body(f"    open({str(target)!r}, 'w').write('pwned')")
    res = run_code(code, limits=FAST)
    assert res.status == "error" and "only the scratch directory is writable" in res.message
    assert not target.exists()
    inside = _with_body("    open('notes.txt', 'w').write('fine')\n"
                        "    assert open('notes.txt').read() == 'fine'")
    assert run_code(inside, data={"capacity": 1}, limits=FAST).ok


@pytest.mark.skipif(not FULL, reason="needs user + mount namespaces")
def test_read_only_file_system_holds_even_without_the_audit_hook(tmp_path: Path) -> None:
    work, result = tmp_path / "work", tmp_path / "result.json"
    work.mkdir()
    result.write_text("")
    target = tmp_path / "escaped.txt"
    probe = (f"import importlib.util as u; s = u.spec_from_file_location('g', {str(GUARD)!r}); "
             f"g = u.module_from_spec(s); s.loader.exec_module(g); "
             f"print(g.lock_filesystem({str(work)!r}, {str(result)!r}, 16)); "
             # undoing the lock: remount / read-write (MS_REMOUNT | MS_BIND), as root may
             f"import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
             f"print('remount', libc.mount(None, b'/', None, 32 | 4096, None)); "
             f"open('inside.txt', 'w').write('ok'); open({str(target)!r}, 'w').write('pwned')")
    raw = sandbox_process.run_isolated(
        [sys.executable, "-I", "-B", "-c", probe], cwd=str(work),
        isolation=sandbox_process.probe_isolation(), wall_seconds=10, cpu_seconds=10,
        memory_mb=512, max_processes=8, max_output_bytes=10_000)
    assert "Read-only file system" in raw.stderr, raw.stdout + raw.stderr
    assert "remount -1" in raw.stdout  # the lock cannot be undone from inside
    assert not target.exists()
    assert not (work / "inside.txt").exists()  # it lived in the sandbox's own tmpfs


def test_the_view_binds_real_folders_once_and_keeps_the_links_to_them(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("guard_for_test", GUARD)
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    (tmp_path / "usr" / "lib" / "py").mkdir(parents=True)
    (tmp_path / "lib").symlink_to("usr/lib")  # as /lib -> usr/lib on merged-/usr systems
    binds, links = guard.view_sources([str(tmp_path / "lib" / "py"), str(tmp_path / "usr"),
                                       str(tmp_path / "missing")])
    assert binds == [str(tmp_path / "usr")]  # /usr/lib/py is inside it; missing is skipped
    assert links == {str(tmp_path / "lib"): "usr/lib"}


def test_the_view_binds_the_folders_of_every_library_already_loaded() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("guard_for_test", GUARD)
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    loaded = {os.path.dirname(os.path.realpath(m.__file__)) for m in list(sys.modules.values())
              if str(getattr(m, "__file__", "") or "").endswith(".so")}
    assert loaded and loaded <= {os.path.realpath(f) for f in guard.mapped_folders()}


@pytest.mark.skipif(not FULL, reason="needs user + mount namespaces")
def test_the_host_file_system_is_not_there_even_without_the_audit_hook(tmp_path: Path) -> None:
    root = _box(tmp_path)
    secret = tmp_path / "config.toml"
    secret.write_text("api_key = 'sk-secret'")
    raw = _guarded_probe(root, (
             f"g.enter_view({str(root)!r}, g.guard_roots([{str(GUARD.parent)!r}])); "
             f"print('locked', g.lock_filesystem({str(root / 'work')!r}, "
             f"{str(root / 'result.json')!r}, 16)); "
             f"print('secret', os.path.exists({str(secret)!r})); "
             f"print('home', os.path.exists(os.path.expanduser('~root/.bashrc'))); "
             f"print('etc', sorted(os.listdir('/etc'))); "
             f"print('passwd', repr(open('/etc/passwd').read())); "
             f"print('data', open({str(root / 'data.json')!r}).read()); "
             f"import pyomo.environ, highspy; print('solvers ok'); "
             f"open({str(root / 'result.json')!r}, 'w').write('written')"))
    out = raw.stdout
    assert "locked []" in out and "solvers ok" in out, out + raw.stderr
    assert "secret False" in out and "home False" in out
    # of /etc, only what the dynamic loader reads (and the time zone) is there
    etc = eval(out.split("etc ", 1)[1].splitlines()[0])
    assert set(etc) <= {"ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd",
                        "group"}, etc
    assert "root:x:0:0" in out.split("passwd ", 1)[1]  # its own two lines, not the host's
    assert "data {}" in out
    assert (root / "result.json").read_text() == "written"  # the one file it may write


@pytest.mark.skipif(not FULL, reason="needs user + mount namespaces")
def test_pid_1_leaves_no_way_back_to_the_host_even_without_the_nested_namespace(
        tmp_path: Path) -> None:
    root = _box(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    raw = _guarded_probe(root, (
             f"g._CLONE_NEWUSER = g._CLONE_NEWNS = 0; "  # as if the nested unshare failed
             f"g.enter_view({str(root)!r}, g.guard_roots([])); "
             f"g.lock_filesystem({str(root / 'work')!r}, {str(root / 'result.json')!r}, 16); "
             f"print('cwd of pid 1:', os.readlink('/proc/1/cwd')); "
             f"print('secret', os.path.exists('/proc/1/cwd' + {str(secret)!r}), "
             f"os.path.exists('/proc/1/cwd/../../secret.txt'))"))
    assert "cwd of pid 1: /\n" in raw.stdout, raw.stdout + raw.stderr
    assert "secret False False" in raw.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="cgroups are made for root only")
def test_on_cgroup_v2_both_limits_share_one_group(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # one hierarchy: a process is in one group of it, so a second group would take the child
    # out of the first (and its process cap with it)
    monkeypatch.setattr(sandbox_process, "_cgroup_bases", lambda controller: [tmp_path])
    (group,) = sandbox_process.make_cgroups(64, 1 << 30)
    assert (group / "pids.max").read_text() == "64"
    assert (group / "memory.max").read_text() == str(1 << 30)
    # v1: a group per controller, each in its own hierarchy
    bases = {"pids": tmp_path / "pids", "memory": tmp_path / "memory"}
    for base in bases.values():
        base.mkdir()
    monkeypatch.setattr(sandbox_process, "_cgroup_bases", lambda controller: [bases[controller]])
    pids, memory = sandbox_process.make_cgroups(64, 1 << 30)
    assert pids.parent == bases["pids"] and (pids / "pids.max").read_text() == "64"
    assert memory.parent == bases["memory"]
    assert (memory / "memory.limit_in_bytes").read_text() == str(1 << 30)
    # no swap: memory + swap capped at the memory limit (v1), swap at nothing (v2)
    assert (memory / "memory.memsw.limit_in_bytes").read_text() == str(1 << 30)
    assert (group / "memory.swap.max").read_text() == "0"


@pytest.mark.skipif(os.geteuid() != 0, reason="cgroups are made for root only")
def test_a_real_memory_cgroup_gives_no_swap_where_the_kernel_accounts_it() -> None:
    group = sandbox_process.make_memory_cgroup(1 << 30)
    if group is None:
        pytest.skip("no writable memory cgroup here (no memory controller)")
    try:
        for name, value in (("memory.memsw.limit_in_bytes", str(1 << 30)),
                            ("memory.swap.max", "0")):
            if (group / name).exists():
                assert (group / name).read_text().strip() == value
    finally:
        sandbox_process.remove_cgroup(group)


@pytest.mark.skipif(not FULL, reason="needs user + mount namespaces")
def test_code_past_the_audit_hook_holds_no_capability_and_mounts_nothing(
        tmp_path: Path) -> None:
    root = _box(tmp_path)
    mount = (f"libc.mount(b'x', {str(root / 'work')!r}.encode(), b'tmpfs', 0, b'size=4g')")
    raw = _guarded_probe(root, (
        f"import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
        f"g.lock_filesystem({str(root / 'work')!r}, {str(root / 'result.json')!r}, 16); "
        f"print('before', {mount}); "  # the nested namespace's capabilities allow it
        f"g.drop_capabilities(); "
        f"print('after', {mount}, ctypes.get_errno()); "
        f"print('caps', sorted(k for k, v in g.capability_sets().items() if v)); "
        f"print('unshare', libc.unshare(0x10000000 | 0x00020000))"))  # no way to win them back
    assert "before 0" in raw.stdout, raw.stdout + raw.stderr
    assert "after -1 1" in raw.stdout, raw.stdout + raw.stderr  # EPERM
    assert "caps []" in raw.stdout, raw.stdout + raw.stderr
    assert "unshare -1" in raw.stdout, raw.stdout + raw.stderr


@pytest.mark.parametrize("prefix", [("--user", "--map-root-user", "--net"), None],
                         ids=["network-namespace-only", "no-namespace"])
def test_without_the_nested_namespace_the_dropped_capabilities_stay_dropped(
        tmp_path: Path, prefix: tuple[str, ...] | None) -> None:
    # where there is no mount namespace (``unshare -rn`` only, or none at all) the lock makes
    # no nested namespace; a user namespace that maps the uid would let the code make a new
    # one, holding every capability again, and mount a tmpfs there
    unshare = shutil.which("unshare")
    if (prefix is not None and not ISOLATED) or unshare is None:
        pytest.skip("no user namespaces here")
    if prefix is None and os.geteuid() != 0:
        pytest.skip("without namespaces only root holds capabilities to drop")
    isolation = sandbox_process.Isolation((unshare, *prefix, "--") if prefix else ())
    (tmp_path / "mnt").mkdir()
    probe = (f"import importlib.util as u, ctypes; "
             f"s = u.spec_from_file_location('g', {str(GUARD)!r}); "
             f"g = u.module_from_spec(s); s.loader.exec_module(g); "
             f"libc = ctypes.CDLL(None, use_errno=True); g.drop_capabilities(); "
             f"print('unshare', libc.unshare(0x10000000 | 0x00020000)); "
             f"print('mount', libc.mount(b'x', {str(tmp_path / 'mnt')!r}.encode(), b'tmpfs', 0, "
             f"b'size=4g')); "
             f"print('caps', sorted(k for k, v in g.capability_sets().items() if v)); "
             f"open('written.txt', 'w').write('ok')")  # its own files stay its own
    raw = sandbox_process.run_isolated(
        [sys.executable, "-I", "-B", "-c", probe], cwd=str(tmp_path), isolation=isolation,
        wall_seconds=30, cpu_seconds=30, memory_mb=1024, max_processes=8,
        max_output_bytes=10_000)
    assert raw.returncode == 0, raw.stdout + raw.stderr
    assert "unshare -1" in raw.stdout and "mount -1" in raw.stdout, raw.stdout + raw.stderr
    assert "caps []" in raw.stdout, raw.stdout + raw.stderr
    assert (tmp_path / "written.txt").read_text() == "ok"


@pytest.mark.skipif(not FULL, reason="needs user + mount namespaces")
def test_a_tmpfs_mounted_past_the_audit_hook_cannot_fill_the_host_memory(
        tmp_path: Path) -> None:
    group = sandbox_process.make_memory_cgroup(1 << 30)
    if group is None:
        pytest.skip("no writable memory cgroup here (not root, or no memory controller)")
    sandbox_process.remove_cgroup(group)
    (tmp_path / "big").mkdir()
    # RLIMIT_AS does not count tmpfs pages: 1 GB written into a tmpfs of 4 GB, under a
    # 128 MB limit (a cgroup of 128 + 320 MB); the kernel kills the writer
    probe = (f"import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
             f"print('mount', libc.mount(b'x', {str(tmp_path / 'big')!r}.encode(), b'tmpfs', 0, "
             f"b'size=4g'), flush=True); "
             f"chunk = b'x' * (1 << 20)\n"
             f"for n in range(16):\n"  # files of 64 MB each: RLIMIT_FSIZE caps one file
             f"    with open({str(tmp_path / 'big')!r} + f'/fill{{n}}', 'wb') as f:\n"
             f"        [f.write(chunk) for _ in range(63)]\n"
             f"print('filled 1 GB')")
    raw = sandbox_process.run_isolated(
        [sys.executable, "-I", "-B", "-c", probe], cwd=str(tmp_path),
        isolation=sandbox_process.probe_isolation(), wall_seconds=60, cpu_seconds=60,
        memory_mb=128, max_processes=8, max_output_bytes=10_000)
    assert "mount 0" in raw.stdout, raw.stdout + raw.stderr
    assert "filled 1 GB" not in raw.stdout and raw.returncode == -9, raw.stdout + raw.stderr


def test_new_namespaces_are_refused() -> None:
    # os.unshare and os.setns (Python 3.12+) raise these events: a new user namespace would
    # give back the capabilities the child dropped
    for event in ("os.unshare", "os.setns"):
        res = run_code(_with_body(f"    import sys\n    sys.audit({event!r}, 0x10000000)"),
                       data={"capacity": 10}, limits=FAST)
        assert res.status == "error" and event in res.message, res.message


def test_fork_loop_is_stopped() -> None:
    code = _with_body("    import os, time\n    for _ in range(10_000):\n"
                      "        if os.fork() == 0:\n            time.sleep(5)\n"
                      "            os._exit(0)")
    res = run_code(code, limits=SHORT)
    assert res.status == "error" and "os.fork" in res.message


def test_fork_loop_without_the_audit_hook_is_capped_and_killed(tmp_path: Path) -> None:
    marker = f"9.{secrets.randbelow(10**9)}"  # `sleep 9.NNN`: ends by itself if all else fails
    bomb = ("import os\nstarted = 0\nfor _ in range(2000):\n    try:\n"
            "        if os.fork() == 0:\n            os.setsid()\n"
            f"            os.execv('/bin/sleep', ['sleep', {marker!r}])\n"
            "        started += 1\n    except OSError:\n        pass\n"
            "print(started, flush=True)\nimport time; time.sleep(60)\n")
    started = time.monotonic()
    limits = dict(wall_seconds=3, cpu_seconds=3, memory_mb=512, max_processes=16,
                  max_output_bytes=10_000)
    raw = sandbox_process.run_isolated([sys.executable, "-I", "-c", bomb], cwd=str(tmp_path),
                                       isolation=sandbox_process.probe_isolation(), **limits)
    assert raw.timed_out and time.monotonic() - started < 8
    probe_group = sandbox_process.make_pids_cgroup(1)
    if probe_group is not None:
        sandbox_process.remove_cgroup(probe_group)
    if os.geteuid() != 0 or probe_group is not None:  # RLIMIT_NPROC or a pids cgroup
        assert int(raw.stdout.split()[0]) <= limits["max_processes"]
    if FULL:  # the pid namespace died with its init: no sleeper survives
        time.sleep(0.2)
        assert _processes_mentioning(marker) == []


def test_secrets_in_the_environment_do_not_reach_the_code() -> None:
    secret = "s3cr3t-" + secrets.token_hex(8)
    code = _with_body("    import os, json\n    print(json.dumps(dict(os.environ)))")
    with pytest.MonkeyPatch.context() as env:
        for name in ("MY_SERVICE_API_KEY", "OPENAI_API_KEY", "OPTIFORM_LLM_TOKEN", "PLAIN"):
            env.setenv(name, secret)
        res = run_code(code, data={"capacity": 1}, limits=FAST)
    assert res.ok, res.message
    seen = json.loads(res.stdout)
    assert secret not in res.stdout
    assert set(seen) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PWD",
                         "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                         "MALLOC_ARENA_MAX"}


def test_reading_files_outside_the_sandbox_is_refused(tmp_path: Path) -> None:
    private = tmp_path / "private.txt"
    private.write_text("do not read")
    res = run_code(_with_body(f"    print(open({str(private)!r}).read())"), limits=FAST)
    assert res.status == "error" and "do not read" not in res.stdout + res.message


def test_the_guard_holds_when_its_module_is_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    code = _with_body(
        "    import sys\n"
        "    f, g = sys._getframe(), sys.modules.get('_optiform_sandbox_guard')\n"
        "    while g is None and f is not None:\n"
        "        g, f = f.f_locals.get('guard'), f.f_back\n"
        "    g._under = lambda path, roots: True\n"
        "    g._BLOCKED_PREFIXES, g._BLOCKED_IMPORTS = ('zzz',), frozenset()\n"
        f"    open({str(target)!r}, 'w').write('pwned')")
    res = run_code(code, limits=FAST)
    assert res.status == "error" and "only the scratch directory is writable" in res.message
    assert not target.exists()


def test_a_relative_os_open_cannot_reach_the_host_through_a_dir_fd(tmp_path: Path) -> None:
    private = tmp_path / "private.txt"
    private.write_text("do not read")
    code = _with_body("    import os\n    fd = os.open('/proc/self', os.O_RDONLY)\n"
                      f"    print(os.read(os.open('root' + {str(private)!r}, os.O_RDONLY, "
                      "dir_fd=fd), 100))")
    res = run_code(code, limits=FAST)
    assert res.status == "error" and "os.open of relative path" in res.message
    assert "do not read" not in res.stdout + res.message


def test_listing_folders_outside_the_sandbox_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret-name.txt").write_text("")
    res = run_code(_with_body(f"    import os\n    print(os.listdir({str(tmp_path)!r}))"),
                   limits=FAST)
    assert res.status == "error" and "os.listdir" in res.message
    assert "secret-name" not in res.stdout + res.message
    inside = _with_body("    import os\n    open('a.txt', 'w').close()\n"
                        "    assert os.listdir('.') == ['a.txt'], os.listdir('.')")
    assert run_code(inside, data={"capacity": 1}, limits=FAST).ok


def test_output_is_capped() -> None:
    limits = SandboxLimits(max_output_bytes=1000, network=FAST.network)
    res = run_code(_with_body("    print('x' * 5_000_000)"), data={"capacity": 1},
                   limits=limits)
    assert res.ok
    assert len(res.stdout) < 1200 and "output cut" in res.stdout


def test_without_network_isolation_refuse_or_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "probe_isolation", lambda: sandbox_process.Isolation())
    res = run_code(LP, data={"capacity": 10})
    assert res.status == "refused" and not res.ok and "unshare" in res.message
    res = run_code(LP, data={"capacity": 10}, limits=SandboxLimits(network="warn"))
    assert res.ok and not res.network_isolated and "without network isolation" in res.message
    assert "without a read-only file system" in res.message  # nor a mount namespace


def test_a_fully_isolated_run_has_nothing_to_warn_about() -> None:
    res = run_code(LP, data={"capacity": 10}, limits=FAST)
    assert res.ok
    assert ("warning" in res.message) == (not FULL)


def test_every_pyomo_termination_condition_is_mapped() -> None:
    from pyomo.contrib.solver.common.results import TerminationCondition

    from optiform.solvers.result import Status
    from optiform.solvers.sandbox_solve import TERMINATION_STATUS

    assert set(TERMINATION_STATUS) == set(TerminationCondition.__members__)
    assert set(TERMINATION_STATUS.values()) <= {s.value for s in Status}
    assert {s.value for s in Status} == sandbox.RESULT_STATUSES


def test_classify_signals_and_malformed_results(tmp_path: Path) -> None:
    limits = SandboxLimits(cpu_seconds=5, memory_mb=256)

    def raw(rc: int, cpu: float = 0.1) -> sandbox_process.RawRun:
        return sandbox_process.RawRun(rc, "", "boom", 0.5, cpu, False)

    assert sandbox.classify(raw(-24), None, "", limits, True).status == "timeout"
    assert sandbox.classify(raw(-9, cpu=5.2), None, "", limits, True).status == "timeout"
    killed = sandbox.classify(raw(-9), None, "", limits, True)
    assert killed.status == "killed" and "SIGKILL" in killed.message and "256 MB" in killed.message
    assert sandbox.classify(raw(-6), None, "", limits, True).status == "killed"
    bad = tmp_path / "result.json"
    for text in ('{"status": "optimal"', '["optimal"]', '{"status": "great", "values": {}}'):
        bad.write_text(text)
        record, problem = sandbox._read_record(bad)
        assert record is None and problem
        res = sandbox.classify(raw(0), record, problem, limits, True)
        assert res.status == "error" and problem in res.message
