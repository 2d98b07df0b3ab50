"""Inside the sandbox child: lock the file system and install the audit hook.

Loaded by file path by ``sandbox_harness.py`` (the child runs ``python -I``), so it uses the
standard library only and imports nothing from optiform. See ``sandbox.py`` for the threat
model; this module holds two of the layers:

- :func:`enter_view` (only inside the private mount namespace made by ``unshare``): a fresh
  root holding only what the child needs, bound from the host, and ``pivot_root`` into it.
- :func:`lock_filesystem` (only inside the private mount namespace made by ``unshare``): a
  size-limited tmpfs over the scratch directory, the result file bind-mounted on itself, and
  every other mount remounted read-only, so nothing outside the scratch directory can be
  written whatever the Python code does.
- :func:`drop_capabilities`: after the lock, every capability given up for good (effective,
  permitted, inheritable, ambient and bounding sets, and ``no_new_privs``), so code that gets
  past the audit hook can mount nothing (no tmpfs to fill memory with, no mount to undo).
- :func:`install_guard`: a ``sys.addaudithook`` policy, installed after the solver imports and
  before user code runs: no sockets, no processes (fork, exec, spawn, subprocess), no ctypes,
  no signals to other processes, no rlimit changes, no walking the GC heap (which could reach
  the hook list); files may be written only under the scratch directory, and read or listed
  only under the Python installation, the solver packages and the sandbox's own directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND = 32, 1024, 2048, 4096
_MS_RELATIME, _MS_REC, _MS_PRIVATE = 1 << 21, 1 << 14, 1 << 18
_MNT_DETACH = 2
_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_EINVAL, _EPERM = 22, 1
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203,
                   "s390x": 217, "loongarch64": 41}
_MOUNT_FLAGS = {"nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC,
                "noatime": _MS_NOATIME, "nodiratime": _MS_NODIRATIME, "relatime": _MS_RELATIME}

_BLOCKED_PREFIXES = (
    "socket.", "subprocess.", "os.fork", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
    "os.kill", "os.killpg", "os.startfile", "os.unshare", "os.setns", "pty.", "ctypes.",
    "gc.get_", "sys.addaudithook",
    "resource.setrlimit", "resource.prlimit", "syslog.", "sqlite3.enable_load_extension",
    "sqlite3.load_extension", "webbrowser.", "ftplib.", "smtplib.", "poplib.", "imaplib.",
    "nntplib.", "telnetlib.", "http.client.", "urllib.Request", "_winapi.", "winreg.",
)
_BLOCKED_IMPORTS = frozenset({"_posixsubprocess", "_ctypes", "ctypes", "_socket", "_ssl"})
# event -> (positions of paths that get written, positions of dir_fd arguments)
_WRITE_EVENTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "os.mkdir": ((0,), (2,)), "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)),
    "os.rename": ((0, 1), (2, 3)), "os.link": ((0, 1), (2, 3)), "os.symlink": ((0, 1), (2,)),
    "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)),
    "os.truncate": ((0,), ()), "os.chflags": ((0,), ()), "os.setxattr": ((0,), ()),
    "os.removexattr": ((0,), ()), "shutil.rmtree": ((0,), (1,)), "shutil.chown": ((0,), ()),
    "shutil.unpack_archive": ((1,), ()), "sqlite3.connect": ((0,), ()),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_READ_ALWAYS = ("/dev/null", "/dev/urandom", "/dev/random", "/dev/zero", "/proc/cpuinfo",
                "/proc/meminfo", "/proc/self", "/sys/devices/system/cpu", "/etc/localtime",
                "/usr/share/zoneinfo", "/usr/lib", "/usr/lib64", "/lib", "/lib64")
# what the dynamic loader reads (Python's audit hook never sees it) and the child's own /proc
_VIEW_ALSO = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/proc")


# -- file system (mount namespace) -------------------------------------------------------


def _unescape(field: str) -> str:
    """Mount points in mountinfo escape space, tab, newline and backslash as \\ooo."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _mounts() -> list[tuple[str, set[str]]]:
    """(mount point, per-mount options) for every mount, from /proc/self/mountinfo."""
    rows = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            fields = line.split()
            rows.append((_unescape(fields[4]), set(fields[5].split(","))))
    return rows


def _libc_mount() -> tuple[Any, Callable[..., None]]:
    """libc, and ``mount(src, target, fstype, flags, data)`` raising OSError on failure."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]

    def mount(src: str | None, target: str, fstype: str | None, flags: int,
              data: str | None = None) -> None:
        enc = [None if s is None else os.fsencode(s) for s in (src, target, fstype, data)]
        if libc.mount(enc[0], enc[1], enc[2], flags, enc[3]) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount {target}: {os.strerror(err)}")

    return libc, mount


def view_sources(paths: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """What a view of ``paths`` must hold: the real directories and files to bind (none
    inside another), and the symbolic links on the way to them (path -> link text), so that
    ``/lib -> usr/lib`` still leads somewhere."""
    links: dict[str, str] = {}
    real: set[str] = set()
    for path in paths:
        path = os.path.abspath(path)
        if not os.path.exists(path):
            continue
        prefix = ""
        for part in path.strip("/").split("/"):
            prefix += "/" + part
            if os.path.islink(prefix) and prefix not in links:
                links[prefix] = os.readlink(prefix)
        real.add(os.path.realpath(path))
    binds = [p for p in sorted(real)
             if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in real)]
    return binds, links


def mapped_folders() -> list[str]:
    """The folders of every file this process has mapped (the interpreter, its libraries and
    the extension modules already imported), from /proc/self/maps: what the dynamic loader
    may need again, wherever the system keeps it (/usr/local/lib, /nix/store, ...)."""
    out: set[str] = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split(maxsplit=5)
                path = fields[5].strip() if len(fields) == 6 else ""
                if path.startswith("/") and not path.endswith("(deleted)"):
                    out.add(os.path.dirname(path))
    except OSError:
        return []
    return sorted(out)


# who the child is, for code that asks (getpass.getuser, pwd): nobody's files, no host names
_PASSWD = ("root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
_GROUP = "root:x:0:\nnogroup:x:65534:\n"


def enter_view(root: str, read_roots: Iterable[str]) -> None:
    """Make the child's whole file system a fresh tmpfs that holds only ``read_roots`` (the
    Python installation, the solver packages, the sandbox's own code), a few system files,
    its own /proc and ``root`` (the sandbox directory, not recursively), all bound at their
    own paths, and pivot into it: the rest of the host (home directories, configuration with
    API keys, other projects) is not there to read, whatever the code does.

    Needs the private user + mount namespace made by ``unshare``; ``root/view`` must exist.
    Raises OSError when the kernel refuses a step (the caller falls back to the read-only
    host). :func:`lock_filesystem` runs after it, inside the view.
    """
    import ctypes

    libc, mount = _libc_mount()
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(0, f"pivot_root: no system call number known for {os.uname().machine}")
    view = os.path.join(root, "view")
    mapped = [m for m in mapped_folders() if not m.startswith(("/dev", "/proc", "/sys"))
              and not (m == root or m.startswith(root.rstrip("/") + "/"))]
    binds, links = view_sources([*read_roots, *_READ_ALWAYS, *_VIEW_ALSO, *mapped])
    inside = [b for b in binds if root == b or root.startswith(b.rstrip("/") + "/")]
    if inside:  # binding it recursively would bind the view into itself
        raise OSError(0, f"the sandbox directory {root} lies inside {inside[0]}, which the "
                         "view must hold")
    mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    mount("optiform-view", view, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=755")
    for path, text in links.items():
        os.makedirs(os.path.dirname(view + path), exist_ok=True)
        os.symlink(text, view + path)
    for src in binds:
        target = view + src
        os.makedirs(target if os.path.isdir(src) else os.path.dirname(target), exist_ok=True)
        if not os.path.isdir(src):
            open(target, "w").close()  # a mount point
        mount(src, target, None, _MS_BIND | _MS_REC)
    os.makedirs(view + root, exist_ok=True)
    mount(root, view + root, None, _MS_BIND)  # its files, not the view mounted inside it
    os.makedirs(view + "/etc", exist_ok=True)
    for name, text in (("passwd", _PASSWD), ("group", _GROUP)):
        with open(f"{view}/etc/{name}", "w", encoding="utf-8") as fh:
            fh.write(text)
    os.chdir(view)
    if libc.syscall(number, b".", b".") != 0:  # the view on top, the host underneath
        err = ctypes.get_errno()
        raise OSError(err, f"pivot_root: {os.strerror(err)}")
    if libc.umount2(b".", _MNT_DETACH) != 0:  # the host, gone from this namespace
        err = ctypes.get_errno()
        raise OSError(err, f"detaching the host file system: {os.strerror(err)}")
    os.chdir("/")


def lock_filesystem(work: str, result_file: str, tmpfs_mb: int) -> list[str]:
    """Make everything but ``work`` (a fresh tmpfs) and ``result_file`` read-only.

    Needs the private user + mount namespace made by ``unshare``. Returns the mount points that
    could not be made read-only (empty when the lock is complete); raises OSError when the
    scratch tmpfs cannot be mounted at all (no mount namespace).
    """
    import ctypes

    libc, mount = _libc_mount()
    mount("optiform-sandbox", work, "tmpfs", _MS_NOSUID | _MS_NODEV,
          f"size={tmpfs_mb}m,mode=700")
    mount(result_file, result_file, None, _MS_BIND)
    keep = {os.path.realpath(work), os.path.realpath(result_file)}
    failed: list[str] = []
    for point, opts in dict(_mounts()).items():  # the last (visible) mount at each point wins
        if point in keep or "ro" in opts:
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY
        for name, bit in _MOUNT_FLAGS.items():
            if name in opts:
                flags |= bit
        try:
            mount(None, point, None, flags)
        except OSError:
            failed.append(point)
    os.chdir(work)  # the cwd still pointed at the directory the tmpfs now hides
    # The read-only flags set here could be set back by this same process (it holds
    # CAP_SYS_ADMIN in the namespace that owns these mounts). Entering a nested user and mount
    # namespace gives that up: its mounts come from a more privileged namespace, so the kernel
    # locks their flags, and this process holds no capability over the ones outside.
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS) != 0:
        err = ctypes.get_errno()
        failed.append(f"(the lock could be undone: nested namespace: {os.strerror(err)})")
    return failed


def capability_sets(status: str = "/proc/self/status") -> dict[str, int]:
    """The capability sets (CapEff, CapPrm, ...) in a /proc status file: this thread's by
    default."""
    out: dict[str, int] = {}
    with open(status, encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Cap"):
                name, _, value = line.partition(":")
                out[name] = int(value.strip(), 16)
    return out


def _uid_mapped() -> bool:
    """Whether this process's user namespace maps any uid (one with none cannot make a new
    user namespace: the kernel wants the creator's uid mapped)."""
    try:
        with open("/proc/self/uid_map", encoding="ascii") as fh:
            return bool(fh.read().strip())
    except OSError:
        return True


def drop_capabilities() -> None:
    """Give up every capability for good: ``no_new_privs``, the ambient and bounding sets
    emptied, then the effective, permitted and inheritable ones, in a user namespace that
    maps no uid, so that no new one can be made to win them back.

    Inside the nested namespace :func:`lock_filesystem` enters, the child still holds every
    capability over that namespace: code past the audit hook could mount a tmpfs there and
    fill memory that RLIMIT_AS does not count (only a memory cgroup does, and only root gets
    one). Without capabilities ``mount`` fails with EPERM. That nested namespace maps no uid;
    where the lock did not make it (``unshare -rn`` only, or no namespaces at all), one is
    entered here first. Capabilities belong to each thread: run this while the process has
    one. Raises OSError when any thread still holds a capability afterwards.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    if _uid_mapped():
        # where this fails (no user namespaces here), the code cannot make one either
        libc.unshare(_CLONE_NEWUSER)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"no_new_privs: {os.strerror(err)}")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL before Linux 4.3
    cap = 0
    while libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1
    err = ctypes.get_errno()
    # EINVAL: past the last capability; EPERM: no CAP_SETPCAP, i.e. nothing held to drop it
    # with (the bounding set only limits what an exec could gain, and no_new_privs is set)
    if err not in (_EINVAL, _EPERM):
        raise OSError(err, f"dropping capability {cap} from the bounding set: "
                           f"{os.strerror(err)}")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    if libc.capset(ctypes.byref(Header(_LINUX_CAPABILITY_VERSION_3, 0)), (Data * 2)()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset: {os.strerror(err)}")
    try:
        tasks = [f"/proc/self/task/{t}/status" for t in os.listdir("/proc/self/task")]
    except OSError:
        tasks = ["/proc/self/status"]
    for task in tasks:
        left = {k: v for k, v in capability_sets(task).items()
                if k in ("CapEff", "CapPrm", "CapInh", "CapAmb") and v}
        if left:
            raise OSError(0, f"capabilities still held ({task.split('/')[-2]}): " +
                          ", ".join(f"{k} {v:x}" for k, v in sorted(left.items())))


# -- the audit hook ----------------------------------------------------------------------


def install_guard(work: str, read_roots: Iterable[str], deny: Iterable[str] = ()) -> None:
    """Install the audit hook. Irreversible for the life of the process (by design).

    Everything the hook calls is bound here, as closure cells, not looked up in this module's
    globals or in ``os`` when an event comes: the code can reach and rewrite a module, not
    the cells of a function it cannot reach."""
    realpath, isabs, fsdecode = os.path.realpath, os.path.isabs, os.fsdecode
    join, readlink = os.path.join, os.readlink
    blocked_prefixes, blocked_imports = _BLOCKED_PREFIXES, _BLOCKED_IMPORTS
    write_events, write_flags = dict(_WRITE_EVENTS), _WRITE_FLAGS

    def under(path: str, roots: tuple[str, ...]) -> bool:
        return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

    def resolve(path: object, dir_fd: object = None) -> str | None:
        if isinstance(path, int):
            return None
        try:
            text = fsdecode(path)  # type: ignore[arg-type]
        except TypeError:
            return None
        if not isabs(text) and isinstance(dir_fd, int) and dir_fd >= 0:
            text = join(readlink(f"/proc/self/fd/{dir_fd}"), text)
        return realpath(text)

    work = realpath(work)
    writable = (work, "/dev/null")
    readable = tuple({realpath(r) for r in read_roots} | {work} | set(_READ_ALWAYS)
                     | {f"/proc/{os.getpid()}"})
    denied = tuple(realpath(d) for d in deny)
    _disarm_unaudited_spawners()

    def refuse(what: str) -> None:
        raise PermissionError(f"sandbox: {what} is not allowed here")

    def check_open(path: object, mode: object, flags: object) -> None:
        if isinstance(path, int):
            return
        writes = isinstance(flags, int) and bool(flags & write_flags)
        text = fsdecode(path)  # type: ignore[arg-type]
        if mode is None and not isabs(text):
            # os.open of a relative path may be relative to any dir_fd, which the event does
            # not carry (an fd of /proc/self reaches the whole host as "root/...")
            refuse(f"os.open of relative path {text!r}")
        real = resolve(text)
        assert real is not None
        if under(real, denied):
            refuse(f"opening {text!r}")
        if writes and not under(real, writable):
            refuse(f"writing {text!r} (only the scratch directory is writable)")
        if not writes and not under(real, readable):
            refuse(f"reading {text!r} (outside the sandbox)")

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "open":
            check_open(*args[:3])
        elif event == "import":
            if args and args[0] in blocked_imports:
                refuse(f"importing {args[0]}")
        elif event in write_events:
            paths, fds = write_events[event]
            dir_fd = next((args[i] for i in fds if i < len(args)), None)
            for i in paths:
                real = resolve(args[i], dir_fd) if i < len(args) else None
                if real is not None and args[i] != ":memory:" and not under(real, (work,)):
                    refuse(f"{event} on {args[i]!r} (only the scratch directory is writable)")
        elif event in ("os.listdir", "os.scandir"):
            target = args[0] if args else "."
            if isinstance(target, int):
                refuse(f"{event} of a file descriptor")
            real = resolve("." if target is None else target)
            if real is not None and not under(real, readable):
                refuse(f"{event} of {target!r} (outside the sandbox)")
        elif event.startswith(blocked_prefixes):
            refuse(event)

    sys.addaudithook(hook)


def _disarm_unaudited_spawners() -> None:
    """``_posixsubprocess.fork_exec`` raises no audit event; replace the references to it."""

    def fork_exec(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("sandbox: starting processes is not allowed here")

    targets: list[tuple[str, str]] = [("_posixsubprocess", "fork_exec"),
                                      ("subprocess", "_fork_exec")]
    for module_name, attr in targets:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attr):
            setattr(module, attr, fork_exec)


def guard_roots(extra: Iterable[str]) -> list[str]:
    """Directories the code may read: the Python installation and the given extras."""
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for scheme_key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(scheme_key)
        if path:
            roots.add(path)
    roots.update(p for p in sys.path if p and ("site-packages" in p or p.endswith("lib-dynload")))
    roots.update(extra)
    return sorted(roots)

