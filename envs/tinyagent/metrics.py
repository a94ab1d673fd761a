"""Scores of a predicted plan against the gold plan: TinyAgent's success rate, TaskBench's F1s.

``dag_success`` is TinyAgent's ``compare_graphs_with_success_rate`` (``utils/graph_utils.py``): 1.0
when the two plans' graphs are isomorphic with a ``node_match`` that asks for the same tool name
and the same nested dependency tree by tool names, else 0.0. Argument values are never compared;
the join step is a node of both graphs. The node and edge F1s (TaskBench's) give partial credit
over the multisets of called tools and of ``(source tool, target tool)`` dependencies.

Where this differs from TinyAgent's code (the isomorphism itself is the same test):

- References are read by LLMCompiler's executor rule (every ``$k`` / ``${k}`` anywhere in the
  arguments) where TinyAgent's graph reads only the first ``$k`` of each top-level string or list
  item, and misses ``${k}``: its graph can lack an edge the executor waits on.
- A dependency counts once per referenced step. TinyAgent lists one entry per argument that holds
  a reference, so using ``$1`` in two arguments differs from using it in one there.
- Nested trees are compared as multisets; TinyAgent sorts them by tool name alone, so two
  same-named dependencies with different subtrees may pair up in the wrong order and fail.

With a dependency counted once per step, the nested tree of a node is fixed by the graph itself,
so TinyAgent's node_match then equals isomorphism with tool names as labels; the ``structure``
digests only prune the search early.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from envs.tinyagent.plans import Plan, to_graph


def _same_structure(a: dict, b: dict) -> bool:
    return a["structure"] == b["structure"]


def dag_success(pred: Plan, gold: Plan) -> float:
    """1.0 when the predicted plan has the gold plan's DAG of tool names, else 0.0 (args ignored)."""
    if [(s.tool, s.deps) for s in pred.steps] == [(s.tool, s.deps) for s in gold.steps]:
        return 1.0  # the same steps in the same order: the identity is an isomorphism
    pred_graph, gold_graph = to_graph(pred), to_graph(gold)
    labels = [
        Counter(nx.get_node_attributes(graph, "structure").values()) for graph in (pred_graph, gold_graph)
    ]
    # Equal label multisets are necessary for an isomorphism; checking them first keeps VF2 from
    # searching long on plans that cannot match.
    if labels[0] != labels[1]:
        return 0.0
    return 1.0 if nx.is_isomorphic(pred_graph, gold_graph, node_match=_same_structure) else 0.0


def _prf(pred: Counter, gold: Counter) -> tuple[float, float, float]:
    """Multiset precision, recall, F1; both empty is a perfect 1.0, one empty side scores 0."""
    if not pred and not gold:
        return 1.0, 1.0, 1.0
    hits = sum((pred & gold).values())
    precision = hits / sum(pred.values()) if pred else 0.0
    recall = hits / sum(gold.values()) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def node_f1(pred: Plan, gold: Plan) -> tuple[float, float, float]:
    """Precision, recall, F1 over the multiset of called tool names (join excluded)."""
    return _prf(Counter(step.tool for step in pred.calls()), Counter(step.tool for step in gold.calls()))


def _edges(plan: Plan) -> Counter:
    tools = {step.index: step.tool for step in plan.steps}
    return Counter((tools[dep], step.tool) for step in plan.calls() for dep in step.deps)


def edge_f1(pred: Plan, gold: Plan) -> tuple[float, float, float]:
    """Precision, recall, F1 over the multiset of ``(source tool, target tool)`` dependency edges."""
    return _prf(_edges(pred), _edges(gold))
