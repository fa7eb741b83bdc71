"""A small text-embedding model that runs offline, for similarity scoring and local retrieval.

wordllama (PyPI) ships its weights and tokenizer inside the wheel, so nothing is downloaded. Its loader looks for
the tokenizer under `<cache>/tokenizers/` and otherwise tries the network, so the shipped tokenizer file is copied
into a private cache directory first (the weights are found in the package itself).
"""

from __future__ import annotations

import functools
import logging
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from blueprints.errors import BlueprintError

if TYPE_CHECKING:
    import numpy as np
    from wordllama.inference import WordLlamaInference

MODEL = "l2_supercat"
"""wordllama's default model: 256-dimensional embeddings distilled from Llama 2's token embeddings."""
DIMENSION = 256


@functools.cache
def _model() -> WordLlamaInference:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError:
        raise BlueprintError("wordllama: not installed (pip install llm-platform-blueprints; it is a dependency "
                             "of similarity checks and local retrieval)") from None
    finally:  # wordllama calls logging.basicConfig(level=INFO) on import: every library's INFO line would print
        root.handlers[:], root.level = handlers, level
    tokenizer = Path(wordllama.__file__).parent / "tokenizers" / f"{MODEL}_tokenizer_config.json"
    cache = Path(tempfile.mkdtemp(prefix="blueprints-wordllama-"))
    (cache / "tokenizers").mkdir()
    shutil.copy(tokenizer, cache / "tokenizers" / tokenizer.name)
    return WordLlama.load(config=MODEL, cache_dir=cache, disable_download=True, dim=DIMENSION)


def embed(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised row per text (cosine similarity is then a dot product)."""
    return _model().embed(list(texts), norm=True)


def similarity(first: str, second: str) -> float:
    """Cosine similarity of two texts, in [-1, 1]."""
    return float(_model().similarity(first, second))


def count_tokens(text: str) -> int:
    """Tokens of `text` under the model's Llama 2 tokenizer (no special tokens)."""
    return len(_model().tokenizer.encode(text, add_special_tokens=False).ids)
