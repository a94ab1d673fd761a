"""The SFT learner: transformers' ``Trainer`` with assistant-only loss, recall evaluated in the env.

In-weight and in-tool learning are this learner on different data. The loss covers what the
assistant writes, including the role token that ends its turn, and never the question or the
database output: the labels are the chat template's ``{% generation %}`` spans, from
``apply_chat_template(..., return_assistant_tokens_mask=True)``, as TRL's ``assistant_only_loss``
does. Batches are bucketed by length (:class:`EpochSeededLengthGroupedSampler`) and padded to
their longest sequence, so little compute goes to padding. TensorBoard gets the loss, learning
rate, tokens/s and, every ``eval_steps``, the recall of greedy episodes played live in the env.

Why ``Trainer`` and not TRL's ``SFTTrainer``: on the same model and data, ``SFTTrainer`` ran at
0.61x the tokens/s of a minimal PyTorch loop (its per-step entropy and token-accuracy metrics
cost more than the tiny models' own step), ``Trainer`` at 1.0x (``bench/sft_trainer_overhead.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from datasets import Dataset
from torch.utils.tensorboard import SummaryWriter
from transformers import Trainer, TrainerCallback, TrainingArguments
from transformers.integrations import TensorBoardCallback
from transformers.trainer_pt_utils import LengthGroupedSampler, get_length_grouped_indices

from agents.lm_agent import LMAgent
from agents.rollout import rollout
from agents.tokenizers import assistant_only_examples, attach_tokens
from envs.trajectory import Trajectory, append_trajectories
from learners.sft_config import SFTConfig


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r} is not valid; choose one of 'cpu', 'cuda', 'auto'")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but no CUDA device is available")
    return device


def train_sft(
    model,
    tokenizer,
    trajectories: Sequence[Trajectory],
    config: SFTConfig,
    output_dir: str | os.PathLike,
    tb_dir: str | os.PathLike | None = None,
    make_eval_env: Callable[[], gym.Env] | None = None,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
    callbacks: Sequence[TrainerCallback] = (),
):
    """Train ``model`` on the conversations of ``trajectories``; return the trained model.

    Args:
        model: a Hugging Face causal LM.
        tokenizer: its tokenizer, with a chat template that marks generation spans.
        trajectories: the training conversations (e.g. the oracle's).
        config: the learner's options.
        output_dir: checkpoints go to ``output_dir/checkpoint-*``, the final model to ``output_dir/final``.
        tb_dir: TensorBoard folder (default ``output_dir/tb``).
        make_eval_env: env factory for recall evaluation during training (``config.eval_steps``).
        resume: continue from the last checkpoint in ``output_dir`` if there is one.
        device: ``cpu``, ``cuda`` or ``auto`` (cuda when available); bf16 on GPUs that support it.
        progress: show a progress bar.
        callbacks: extra ``transformers.TrainerCallback`` objects.
    """
    device = resolve_device(device)
    output_dir = Path(output_dir)
    examples = assistant_only_examples(tokenizer, [t.messages for t in trajectories])
    if not config.assistant_only_loss:  # causal LM: every token, the questions and tool answers too
        examples = [{"input_ids": e["input_ids"], "labels": e["input_ids"]} for e in examples]
    dataset = Dataset.from_list(examples)
    use_bf16 = _use_bf16(config.precision, device)
    args = TrainingArguments(
        output_dir=str(output_dir),
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        adam_beta2=config.adam_beta2,
        per_device_train_batch_size=config.batch_size // _world_size(),
        max_steps=config.max_steps,
        warmup_steps=config.warmup_steps,
        lr_scheduler_type="cosine",
        max_grad_norm=config.max_grad_norm,
        logging_steps=config.logging_steps,
        eval_strategy="no",  # recall is evaluated by _EvaluateEvery, in the env, without an eval dataset
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=device == "cpu",
        bf16=use_bf16,
        include_num_input_tokens_seen="non_padding",
        report_to=[],
        disable_tqdm=not progress,
        dataloader_pin_memory=device == "cuda",
        remove_unused_columns=False,
    )
    writer = SummaryWriter(str(tb_dir or output_dir / "tb"))
    trainer = RecallTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=PadToLongest(tokenizer.pad_token_id),
        processing_class=tokenizer,
        callbacks=[
            TensorBoardCallback(writer),
            _EvaluateEvery(config.eval_steps if make_eval_env else 0),
            *callbacks,
        ],
        make_eval_env=make_eval_env,
        eval_episodes=config.eval_episodes,
    )
    return train_and_save(trainer, tokenizer, config, output_dir, writer, resume)


def train_and_save(trainer, tokenizer, config, output_dir: Path, writer: SummaryWriter, resume: bool):
    """Run ``trainer`` (from the last checkpoint in ``output_dir`` when resuming), save the model
    and tokenizer to ``output_dir/final``, and return the model; the learners' common ending."""
    writer.add_text("hyperparameters", _markdown_table(vars(config)))
    checkpoint = resume and _last_checkpoint(output_dir)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_model(str(output_dir / "final"))
    tokenizer.save_pretrained(str(output_dir / "final"))
    writer.close()
    return trainer.model


def evaluate_recall(
    model,
    tokenizer,
    make_env: Callable[[], gym.Env],
    tasks: Sequence[dict[str, Any]],
    batch_size: int = 512,
    path: str | os.PathLike | None = None,
    run_id: str = "",
) -> list[Trajectory]:
    """Play ``tasks`` greedily with the model, tool results fed live; return the episodes.

    Each record carries its token ids and loss mask (the chat template's assistant spans), which
    the TUI's token view shows; written to ``path`` when given.
    """
    agent = LMAgent(model, tokenizer, batch_size=batch_size)
    episodes = attach_tokens(
        tokenizer, rollout(make_env, agent, tasks=tasks, num_envs=batch_size, run_id=run_id)
    )
    if path is not None:
        append_trajectories(path, episodes)
    return episodes


class PadToLongest:
    """Pads a batch of pre-tokenized examples to its longest one (right padding).

    Does what ``DataCollatorForSeq2Seq`` does, with ``pad_sequence`` instead of ``tokenizer.pad``,
    which cost 4.5 ms a batch, ~4% of a training step of these small models.
    """

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, examples: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        from torch.nn.utils.rnn import pad_sequence

        ids = [torch.tensor(e["input_ids"]) for e in examples]
        labels = [torch.tensor(e["labels"]) for e in examples]
        input_ids = pad_sequence(ids, batch_first=True, padding_value=self.pad_token_id)
        lengths = torch.tensor([len(i) for i in ids])
        attention_mask = (torch.arange(input_ids.shape[1])[None, :] < lengths[:, None]).long()
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": pad_sequence(labels, batch_first=True, padding_value=-100),
        }


# Length buckets are cut from random groups of MEGA_BATCH batches: 8 leaves ~2% padding on the
# PeopleMemory conversations while keeping batches varied (transformers' default, up to 50, makes
# batches of near-identical lengths, hence similar questions, and in-tool runs learned erratically).
MEGA_BATCH = 8


class EpochSeededLengthGroupedSampler(LengthGroupedSampler):
    """transformers' length-grouped order, drawn from (seed, epoch) instead of the global RNG.

    The stock sampler draws from the global torch RNG, whose state at an epoch's start differs
    after a resume; with this one a resumed run sees exactly the batches of an uninterrupted run.
    """

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths)
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        indices = get_length_grouped_indices(
            self.lengths, self.batch_size, mega_batch_mult=MEGA_BATCH, generator=generator
        )
        return iter(indices)


class RecallTrainer(Trainer):
    """A Trainer whose evaluation is recall: greedy episodes played in the env."""

    def __init__(self, *args, make_eval_env=None, eval_episodes: int = 256, **kwargs):
        super().__init__(*args, **kwargs)
        self.make_eval_env, self.eval_episodes = make_eval_env, eval_episodes

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        lengths = [len(ids) for ids in dataset["input_ids"]]
        return EpochSeededLengthGroupedSampler(self.args.train_batch_size, lengths, self.args.data_seed)

    def evaluate(
        self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval"
    ) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.make_eval_env is not None and self.is_world_process_zero():
            metrics[f"{metric_key_prefix}_recall"] = self._recall()
            self.log(metrics)
        # As Trainer.evaluate does: callbacks hear of it, and the request to evaluate is cleared.
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics

    def _recall(self) -> float:
        env = self.make_eval_env()
        num_tasks = env.unwrapped.num_tasks
        env.close()
        # A fixed random sample: a stride could hit one attribute only (task i asks attribute i % 4).
        chosen = np.random.default_rng(0).choice(
            num_tasks, size=min(num_tasks, self.eval_episodes), replace=False
        )
        tasks = [{"task_id": int(i)} for i in sorted(chosen)]
        episodes = evaluate_recall(self.model, self.processing_class, self.make_eval_env, tasks)
        return sum(t.reward for t in episodes) / max(1, len(episodes))


class _EvaluateEvery(TrainerCallback):
    """Ask the trainer for an evaluation every ``steps`` steps (0: never)."""

    def __init__(self, steps: int):
        self.steps = steps

    def on_step_end(self, args, state, control, **kwargs):
        if self.steps and state.global_step % self.steps == 0:
            control.should_evaluate = True
        return control


def _last_checkpoint(output_dir: Path) -> Path | None:
    from transformers.trainer_utils import get_last_checkpoint

    if not output_dir.is_dir():
        return None
    last = get_last_checkpoint(str(output_dir))
    return Path(last) if last else None


def _world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


PRECISIONS = ("auto", "fp32", "bf16")


def _use_bf16(precision: str, device: str) -> bool:
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not valid; choose one of {', '.join(PRECISIONS)}")
    supported = device == "cuda" and torch.cuda.is_bf16_supported()
    if precision == "bf16" and not supported:
        raise ValueError(f"precision='bf16' needs a CUDA device with bf16 support (device is {device!r})")
    return supported and precision != "fp32"


def _markdown_table(values: dict[str, Any]) -> str:
    rows = "\n".join(f"|{key}|{value}|" for key, value in values.items())
    return f"|param|value|\n|-|-|\n{rows}"
