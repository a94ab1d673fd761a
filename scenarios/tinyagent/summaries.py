"""The TinyAgent study's results: a table by number of steps and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.figures import new_figure, print_table, save

STAGES = ("before", "after")
LABELS = {"all": "all 16 tools", "toolrag": "ToolRAG"}  # with TinyAgent's data, "all" is its prompt


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (stage, prompt): the overall scores and success by number of gold steps."""
    table = []
    for stage in STAGES:
        for describe, result in results[stage].items():
            summary = result["all"]
            row = {"stage": stage, "prompt": LABELS[describe]}
            for key in ("success", "state_success", "node_f1", "edge_f1", "join_finish", "parse_errors"):
                row[key] = summary.get(key)
            for steps, by_steps in result["by_steps"].items():
                row[f"success@{steps}"] = by_steps.get("success")
            table.append(row)
    return table


def draw(results: dict[str, Any], path: Path) -> Path:
    """Success by number of gold steps, before and after LoRA, with all tools and with ToolRAG."""
    figure, axes = new_figure((7, 4))
    for stage in STAGES:
        for describe, result in results[stage].items():
            steps = sorted(result["by_steps"], key=int)
            values = [result["by_steps"][s]["success"] for s in steps]
            style = "-" if stage == "after" else ":"
            axes.plot(
                [int(s) for s in steps], values, style, marker="o", label=f"{stage} LoRA, {LABELS[describe]}"
            )
    axes.set_xlabel("steps in the gold plan")
    axes.set_ylabel("plan success (DAG match)")
    axes.set_ylim(0, 1.05)
    axes.set_title("TinyAgentPlanner-v0: LoRA fine-tuning")
    axes.legend(fontsize=8)
    return save(figure, path)


def print_summary(results: dict[str, Any], out: Path, figure: Path) -> None:
    table = rows(results)
    steps = sorted({k.split("@")[1] for row in table for k in row if k.startswith("success@")}, key=int)
    columns = [
        ("stage", "LoRA"), ("prompt", "prompt"), ("success", "success"), ("state_success", "state"),
        ("node_f1", "node F1"), ("edge_f1", "edge F1"), ("join_finish", "finish"),
        ("parse_errors", "parse err"),
        *[(f"success@{s}", f"@{s} steps") for s in steps],
    ]  # fmt: skip
    print()
    print_table(table, columns)
    rag = results["toolrag"]
    if "tool_recall" in rag:
        print(
            f"ToolRAG: tool recall {rag['tool_recall']:.3f}, "
            f"prompt {rag['prompt_chars_kept']:.0%} of all tools'"
        )
    print(f"LoRA trains {results['trainable_parameters']:,} parameters")
    print(f"wall time {results['wall_seconds'] / 60:.1f} min; results: {out / 'results.json'}")
    print(f"figure: {figure}\ntensorboard --logdir {out}")
