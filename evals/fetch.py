"""Download public benchmark files from their source repositories (``optiform eval fetch``).

Files are saved untouched, in their original format, as
``<user data dir>/benchmarks/<name>/<split>.<ext>``; the loaders read those formats.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from optiform.errors import DownloadError, EvalError

RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class Source:
    description: str
    files: dict[str, str]
    """Split name -> URL."""


SOURCES: dict[str, Source] = {
    "nl4opt": Source(
        "NL4Opt competition, generation task (original annotated format; the optimum is "
        "computed from the annotated LP)",
        {
            "dev": f"{RAW}/nl4opt/nl4opt-competition/HEAD/generation_data/dev.jsonl",
            "test": f"{RAW}/nl4opt/nl4opt-competition/HEAD/generation_data/test.jsonl",
        },
    ),
    "optibench": Source(
        "OptiBench (ReSocratic, E-OPT), original format",
        {"test": f"{RAW}/yangzhch6/ReSocratic/HEAD/data/e-opt.json"},
    ),
}


def _suffix(url: str) -> str:
    return ".json" if url.endswith(".json") else ".jsonl"


def fetch_dataset(
    name: str,
    *,
    dest_root: Path | None = None,
    timeout: float = 20.0,
    sources: dict[str, Source] | None = None,
    force: bool = False,
) -> list[Path]:
    """Download every split of ``name``; returns the files written (or already there)."""
    from optiform.evals.datasets import download_root

    table = SOURCES if sources is None else sources
    source = table.get(name)
    if source is None:
        raise EvalError(
            f"no download source for data set {name!r}",
            hint=f"downloadable: {', '.join(sorted(table))}",
        )
    folder = (dest_root or download_root()) / name
    written: list[Path] = []
    for split, url in source.files.items():
        target = folder / f"{split}{_suffix(url)}"
        if target.is_file() and not force:
            written.append(target)
            continue
        data = _download(url, timeout=timeout, name=name, folder=folder)
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, target)
        written.append(target)
    return written


def _download(url: str, *, timeout: float, name: str, folder: Path) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "optiform-eval-fetch"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"downloading {name!r} failed: HTTP {exc.code} for {url}",
            hint=f"download the file by hand and save it under {folder}/",
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"cannot download {name!r}: no network connection to {url} ({reason})",
            hint=f"connect to the internet and retry, or copy the files to {folder}/ "
            "(<split>.jsonl or <split>.json) or pass a JSONL path to --dataset",
        ) from exc
