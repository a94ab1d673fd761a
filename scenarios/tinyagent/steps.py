"""The TinyAgent study's steps: ToolRAG, the base model, the oracle's conversations, LoRA, evaluation.

``config`` is a :class:`scenarios.tinyagent.study.TinyAgentConfig` throughout.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

ENV_ID = "toolgym/TinyAgentPlanner-v0"
DESCRIBE = ("all", "toolrag")
# Bump when the pre-training corpus changes: cached base models are keyed by it.
CORPUS_VERSION = 4
DATA_FILES = ("training_data.json", "testing_data.json")
TOKENIZER_TASKS = 2000  # pre-training conversations the BPE tokenizer is trained on


def describes(config) -> tuple[str, ...]:
    """The prompts evaluated: all tools and ToolRAG's, or TinyAgent's own with ``config.data``."""
    return ("all",) if config.data else DESCRIBE


def make_env(
    split: str, describe: str = "all", toolrag: Path | None = None, num_tasks: int = 40_000, data=None
):
    """A function that makes the study's env (over TinyAgent's test file when ``data`` is its folder)."""
    import gymnasium as gym

    import envs  # noqa: F401  (registers the ids)

    kwargs: dict[str, Any] = {"split": split, "describe": describe, "num_tasks": num_tasks}
    if describe == "toolrag":
        kwargs["toolrag"] = str(toolrag)
    if data:
        kwargs["data"] = str(Path(data) / DATA_FILES[1])
    return lambda: gym.make(ENV_ID, **kwargs)


def oracle_conversations(split: str, task_ids, describe: str = "all", toolrag: Path | None = None) -> list:
    """The oracle's episodes (plan, observations, joiner) of ``task_ids``, played on the env
    directly: a rollout's records would carry the 16 schemas each, for nothing here."""
    from envs.tinyagent.env import TinyAgentPlannerEnv
    from envs.trajectory import Trajectory

    env = TinyAgentPlannerEnv(
        split=split, describe=describe, toolrag=None if toolrag is None else str(toolrag)
    )
    episodes = []
    for task_id in task_ids:
        env.reset(options={"task_id": task_id})
        reward = 0.0
        for turn in env.demonstration():
            _, reward, terminated, _, _ = env.step(turn)
            if terminated:
                break
        episodes.append(
            Trajectory(
                env_id=ENV_ID,
                messages=list(env.messages),
                reward=reward,
                terminated=True,
                truncated=False,
                task_id=task_id,
            )
        )
    return episodes


def fit_toolrag(config, out: Path):
    """ToolRAG fitted on training requests (read back when ``out`` has it); its report: tool recall
    and the share of the prompt it keeps, on the test tasks."""
    from envs.tinyagent.env import TinyAgentPlannerEnv
    from envs.tinyagent.toolrag import ToolRAG
    from tools.desktop.apps import TOOL_NAMES

    if config.data:
        return None, {"skipped": "TinyAgent's own prompts carry their tool selection"}
    path = out / "toolrag.json"
    report_path = out / "toolrag_report.json"
    if path.exists() and report_path.exists():
        return path, json.loads(report_path.read_text())
    from envs.tinyagent import tasks

    train = [tasks.train_task(i) for i in range(config.toolrag_queries)]
    rag = ToolRAG.fit([t.query for t in train], [t.tools for t in train], TOOL_NAMES, config.toolrag_recall)
    rag.save(path)
    full, selected = (
        TinyAgentPlannerEnv(split="test"),
        TinyAgentPlannerEnv(split="test", describe="toolrag", toolrag=str(path)),
    )
    recall, kept, exact = [], [], []
    for task_id in range(config.test_tasks):
        prompt_all, _ = full.reset(options={"task_id": task_id})
        prompt_rag, _ = selected.reset(options={"task_id": task_id})
        info = selected.unwrapped.task_info()
        recall.append(info["toolrag_recall"])
        exact.append(set(selected.described) == set(selected.task.tools))
        kept.append(len(prompt_rag) / len(prompt_all))
    report = {
        "tool_recall": sum(recall) / len(recall),
        "exact_tool_set": sum(exact) / len(exact),
        "prompt_chars_kept": sum(kept) / len(kept),
        "fitted_on": config.toolrag_queries,
        "threshold": rag.threshold,
    }
    report_path.write_text(json.dumps(report, indent=2))
    print(
        f"[toolrag] recall {report['tool_recall']:.3f}, exact tool set {report['exact_tool_set']:.3f}, "
        f"prompt {report['prompt_chars_kept']:.0%} of all 16 tools'",
        flush=True,
    )
    return path, report


def base_model(config, device: str):
    """The base model, its tokenizer and where it is: ``config.model`` read from disk with its
    own chat template, or the from-scratch model pre-trained once on plans over other tools."""
    from agents.model import load_model
    from agents.tokenizers.tinyagent import MAX_LENGTH, build_tinyagent_tokenizer
    from learners.pretrain import pretrained_model
    from scenarios.tinyagent.corpus import pretraining_conversations

    if config.model:
        if config.lora.peft.load_in_4bit:  # QLoRA: quantised as it loads, already on the GPU
            model, tokenizer = load_model(config.model, load_in_4bit=True)
            return model, tokenizer, config.model
        model, tokenizer = load_model(config.model)
        return model.to(device), tokenizer, config.model
    from envs.trajectory import Trajectory

    def corpus():
        return [
            Trajectory(env_id="pretrain", messages=m, reward=1.0, terminated=True, truncated=False)
            for m in joiner_share(pretraining_conversations(config.pretrain_size), config.join_share)
        ]

    def tokenizer():
        # The base's own corpus only, as TinyLlama's vocabulary comes from its pre-training: a
        # token learned from desktop text alone would keep a random row that LoRA cannot train.
        texts = [m["content"] for c in pretraining_conversations(tokenizer_size(config)) for m in c]
        return build_tinyagent_tokenizer(texts, config.vocab_size)

    model, tokenizer, path = pretrained_model(
        "tinyagent", settings_of(config), corpus, tokenizer,
        layers=config.layers, heads=config.heads, width=config.width, sft=config.pretrain,
        cache=config.cache, device=device, progress=config.progress,
        model_options={"tie_embeddings": True, "max_length": MAX_LENGTH},
    )  # fmt: skip
    return model.to(device), tokenizer, str(path)


def training_conversations(config, toolrag: Path) -> list:
    """The oracle's training episodes: the first ``toolrag_share`` of the tasks with ToolRAG's
    prompts, the rest described as ``other_describe`` says (shuffled together by the learner);
    with ``config.data``, the plan and join points of TinyAgent's first ``train_tasks`` training
    queries."""
    if config.data:
        return tinyagent_conversations(Path(config.data) / DATA_FILES[0], config.train_tasks)
    cut = round(config.toolrag_share * config.train_tasks)
    episodes = oracle_conversations("train", range(cut), "toolrag", toolrag) + oracle_conversations(
        "train", range(cut, config.train_tasks), config.other_describe
    )
    kept = joiner_share([e.messages for e in episodes], config.join_share)
    for episode, messages in zip(episodes, kept, strict=True):
        episode.messages = messages
    return episodes


def joiner_share(conversations: list[list[dict]], share: float) -> list[list[dict]]:
    """The conversations with their joiner turn kept in an evenly spread ``share`` of them and the
    rest cut after the plan: TinyAgent trains on separate plan and join samples, and most of what
    success needs is in the plan, while the observations and the joiner's answer would double a
    plan sample's tokens."""
    return [
        messages if int((i + 1) * share) > int(i * share) else messages[:2]
        for i, messages in enumerate(conversations)
    ]


def tinyagent_conversations(path: Path, queries: int) -> list:
    """Each plan and join point of the file's first ``queries`` queries as a conversation: the
    messages the model saw, then its target as the assistant's turn."""
    from envs.tinyagent.data import load_tinyagent
    from envs.trajectory import Trajectory

    examples, ids = [], []
    for example in load_tinyagent(path):
        if example.id not in ids:
            if len(ids) == queries:
                break
            ids.append(example.id)
        messages = [*example.messages, {"role": "assistant", "content": example.target}]
        examples.append(
            Trajectory(env_id=ENV_ID, messages=messages, reward=1.0, terminated=True, truncated=False)
        )
    return examples


def fine_tune(config, model, tokenizer, toolrag: Path, out: Path, device: str, resume: bool):
    """LoRA on the training conversations (saved in ``out/lora``); the trained model, ready to
    evaluate (:func:`for_generation`), and its trainable parameter count."""
    from learners.common import quiet_library_warnings
    from learners.sft import train_sft

    folder = out / "lora"
    if resume and (folder / "final" / "adapter_config.json").exists():
        from peft import PeftModel

        with quiet_library_warnings():
            trained = PeftModel.from_pretrained(model, folder / "final").to(device)
    else:
        data = training_conversations(config, toolrag)
        print(f"[lora] {len(data)} training conversations", flush=True)
        trained = train_sft(
            model, tokenizer, data, _lora_settings(config, tokenizer), folder, tb_dir=out / "tb" / "lora",
            resume=resume, device=device, progress=config.progress,
            make_eval_env=make_env("test", num_tasks=config.test_tasks) if config.lora.eval_steps else None,
        )  # fmt: skip
    trainable = _lora_parameters(trained)
    return for_generation(trained, config), trainable


def for_generation(trained, config):
    """The LoRA model with its adapters (and trained embedding rows) merged into the base's
    weights: the same greedy turns, written 1.1-1.3x faster (``bench/tinyagent_evaluation.py``).
    QLoRA's stay separate, since merging into 4-bit weights would round them. The adapters are
    already saved."""
    if config.lora.peft.load_in_4bit:
        return trained
    from learners.common import quiet_library_warnings

    with quiet_library_warnings():  # PEFT's merge calls a renamed transformers method
        return trained.merge_and_unload()


def _lora_settings(config, tokenizer):
    """``config.lora``, with every embedding row trainable when ``lora_embeddings`` asks for it."""
    peft = config.lora.peft
    if not config.lora_embeddings or peft.trainable_token_indices is not None:
        return config.lora
    rows = list(range(len(tokenizer)))
    return dataclasses.replace(config.lora, peft=dataclasses.replace(peft, trainable_token_indices=rows))


def _lora_parameters(model) -> int:
    """The adapters' parameters and the trainable embedding rows' (PEFT's token deltas)."""
    names = ("lora_", "trainable_tokens_delta")
    return sum(p.numel() for name, p in model.named_parameters() if any(n in name for n in names))


def evaluate_all(
    config, model, tokenizer, toolrag: Path, out: Path, stage: str, resume: bool
) -> dict[str, Any]:
    """Greedy test episodes with all tools described and with ToolRAG's; their summaries, overall
    and by number of gold steps (read back when a resumed run has them)."""
    return {d: _evaluate(config, model, tokenizer, toolrag, out, stage, d, resume) for d in describes(config)}


def _evaluate(config, model, tokenizer, toolrag, out, stage, describe, resume) -> dict[str, Any]:
    from agents.evaluate import play, summarize

    path = out / "eval" / f"{stage}_{describe}.json"
    if resume and path.exists():
        return json.loads(path.read_text())
    tasks = make_env("test", describe, toolrag, config.test_tasks, config.data)().unwrapped.num_tasks
    episodes = play(
        model, tokenizer, make_env("test", describe, toolrag, config.test_tasks, config.data),
        [{"task_id": i} for i in range(tasks)],
        max_new_tokens=config.max_new_tokens, batch_size=config.eval_batch_size, num_envs=tasks, name=stage,
        path=out / "trajectories" / f"{stage}_{describe}.jsonl", run_id=out.name,
        tags={"stage": stage, "describe": describe}, static_cache=True,
    )  # fmt: skip
    by_steps = {str(k): v for k, v in summarize(episodes, by="steps").items()}
    result = {"all": summarize(episodes), "by_steps": by_steps, "disagreements": _disagreements(episodes)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(
        f"[{stage}/{describe}] success {result['all']['success']:.3f}, "
        f"state success {result['all'].get('state_success') or 0:.3f}",
        flush=True,
    )
    return result


def _disagreements(episodes, limit: int = 3) -> list[dict[str, Any]]:
    """A few test tasks where DAG success and state success differ, with the plan written."""
    examples = []
    for episode in episodes:
        if episode.scores.get("success") != episode.scores.get("state_success"):
            plan = next((m["content"] for m in episode.messages if m["role"] == "assistant"), "")
            examples.append(
                {
                    "task_id": episode.task_id,
                    "success": episode.scores.get("success"),
                    "state_success": episode.scores.get("state_success"),
                    "request": episode.messages[0]["content"].rsplit("Question: ", 1)[-1],
                    "plan": plan,
                }
            )
            if len(examples) == limit:
                break
    return examples


def log_scalars(folder: Path, results: dict[str, Any]) -> None:
    """Success before (step 0) and after LoRA (step 1) in TensorBoard, per prompt and metric."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder / "eval"))
    for step, stage in enumerate(("before", "after")):
        for describe, result in results[stage].items():
            for metric in ("success", "state_success", "node_f1", "edge_f1", "parse_errors"):
                if result["all"].get(metric) is not None:
                    writer.add_scalar(f"eval/{describe}/{metric}", result["all"][metric], step)
    writer.close()


def tokenizer_size(config) -> int:
    """How many pre-training conversations the BPE tokenizer is trained on."""
    return min(TOKENIZER_TASKS, config.pretrain_size)


def settings_of(config) -> dict[str, Any]:
    """What the cached base model depends on (its cache key)."""
    keys = ("pretrain_size", "join_share", "vocab_size", "width", "layers", "heads", "pretrain")
    return {
        "corpus_version": CORPUS_VERSION,
        "tokenizer_conversations": tokenizer_size(config),
        **{k: dataclasses.asdict(config)[k] for k in keys},
    }
