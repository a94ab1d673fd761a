"""Tool retrieval for in-context prompts: the tools whose descriptions are nearest the query.

TokMem's ICL baseline with RAG (``icl_baseline.py``, ``tool_retrieval.py``) embeds each tool as
``"name: description"`` with ``sentence-transformers/all-MiniLM-L6-v2`` (:mod:`envs.embeddings`)
and describes the top 5 by cosine similarity. Rollouts build hundreds of envs in one process:
each tool set's embeddings are computed once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from envs.checks import check_int
from envs.embeddings import embed


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
