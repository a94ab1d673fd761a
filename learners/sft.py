"""The SFT learner: transformers' ``Trainer`` with assistant-only loss, evaluated live in the env.

In-weight and in-tool learning are this learner on different data. The loss covers what the
assistant writes, including the token that ends its turn, and never the question or the tool's
output: the labels are the chat template's ``{% generation %}`` spans, from
``apply_chat_template(..., return_assistant_tokens_mask=True)``, as TRL's ``assistant_only_loss``
does. Batches are bucketed by length (:class:`EpochSeededLengthGroupedSampler`) and padded to
their longest sequence, so little compute goes to padding. TensorBoard gets the loss, learning
rate, tokens/s and, every ``eval_steps``, the mean reward and scores of greedy episodes played
live in the env (``eval/reward``, ``eval/<score>``).

With ``config.peft`` the model is wrapped in PEFT LoRA adapters (optionally with trainable
embedding rows, and on a 4-bit base model for QLoRA); checkpoints and the final folder then hold
the adapter only, and a resumed run must start from the same base model.

Why ``Trainer`` and not TRL's ``SFTTrainer``: on the same model and data, ``SFTTrainer`` ran at
0.60x the tokens/s of a minimal PyTorch loop (its per-step entropy and token-accuracy metrics
cost more than the tiny models' own step), ``Trainer`` at 1.11x (``bench/sft_trainer_overhead.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from datasets import Dataset
from torch.utils.tensorboard import SummaryWriter
from transformers import Trainer, TrainerCallback, TrainingArguments
from transformers.integrations import TensorBoardCallback
from transformers.trainer_pt_utils import LengthGroupedSampler, get_length_grouped_indices

from agents.evaluate import play, summarize
from agents.tokenizers import assistant_only_examples
from envs.trajectory import Trajectory
from learners.common import (
    quiet_library_warnings,
    resolve_device,
    train_and_save,
    trainer_options,
    world_size,
)
from learners.sft_config import PeftOptions, SFTConfig


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
        make_eval_env: env factory for the evaluations during training (``config.eval_steps``).
        resume: continue from the last checkpoint in ``output_dir`` if there is one.
        device: ``cpu``, ``cuda`` or ``auto`` (cuda when available); bf16 as ``config.precision`` says.
        progress: show a progress bar.
        callbacks: extra ``transformers.TrainerCallback`` objects.
    """
    device = resolve_device(device)
    output_dir = Path(output_dir)
    if config.peft is not None and not _is_peft(model):
        with quiet_library_warnings():
            model = with_adapters(model, config.peft, device)
    dataset = Dataset.from_list(training_examples(tokenizer, trajectories, config))
    args = TrainingArguments(
        **trainer_options(config, output_dir, device, progress),
        weight_decay=config.weight_decay,
        adam_beta2=config.adam_beta2,
        per_device_train_batch_size=config.batch_size // world_size(),
        lr_scheduler_type="cosine",
        eval_strategy="no",  # evaluated by _EvaluateEvery, in the env, without an eval dataset
        include_num_input_tokens_seen="non_padding",
        dataloader_pin_memory=device == "cuda",
    )
    writer = SummaryWriter(str(tb_dir or output_dir / "tb"))
    trainer = EnvEvalTrainer(
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
        token_learning_rate=config.peft.token_learning_rate if config.peft else None,
        decay_norms=config.decay_norms,
    )
    return train_and_save(trainer, tokenizer, config, output_dir, writer, resume)


def training_examples(tokenizer, trajectories: Sequence[Trajectory], config: SFTConfig) -> list[dict]:
    """Token ids and labels of each conversation: labels on the assistant's spans, or on every
    token without ``config.assistant_only_loss``."""
    examples = assistant_only_examples(tokenizer, [t.messages for t in trajectories])
    if not config.assistant_only_loss:  # causal LM: every token, the questions and tool answers too
        examples = [{"input_ids": e["input_ids"], "labels": e["input_ids"]} for e in examples]
    return examples


def _is_peft(model) -> bool:
    """Whether ``model`` already carries PEFT adapters (a later round goes on training them)."""
    from peft import PeftModel

    return isinstance(model, PeftModel)


def with_adapters(model, options: PeftOptions, device: str):
    """``model`` wrapped in PEFT LoRA adapters (and trainable embedding rows), its own weights frozen;
    with ``options.method == "tokens"`` only the chosen embedding rows train (no adapter).

    A 4-bit model (QLoRA, :func:`agents.model.load_model` with ``load_in_4bit``) is first prepared
    by PEFT's ``prepare_model_for_kbit_training`` (norms in fp32, input gradients enabled).
    """
    from peft import LoraConfig, TrainableTokensConfig, get_peft_model, prepare_model_for_kbit_training

    if options.load_in_4bit:
        if device != "cuda":
            raise ValueError(f"peft.load_in_4bit (QLoRA) needs a CUDA device (device is {device!r})")
        if not getattr(model, "is_loaded_in_4bit", False):
            raise ValueError(
                "peft.load_in_4bit needs a model loaded in 4 bits: "
                "agents.model.load_model(path, load_in_4bit=True)"
            )
        model = prepare_model_for_kbit_training(model)
    if options.method == "tokens":
        return get_peft_model(model, TrainableTokensConfig(token_indices=options.trainable_token_indices))
    lora = LoraConfig(
        r=options.r,
        lora_alpha=options.alpha,
        lora_dropout=options.dropout,
        # PEFT takes its "every linear layer but the head" shortcut as a string, not in a list.
        target_modules="all-linear" if options.target_modules == ["all-linear"] else options.target_modules,
        trainable_token_indices=options.trainable_token_indices,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def merge_adapters(model):
    """``model``'s adapters merged into its weights (``merge_and_unload``): a plain model again,
    which a later round can wrap in new adapters (PEFT's stale ``peft_config`` on it removed, or
    the next ``get_peft_model`` warns of several adapters)."""
    with quiet_library_warnings():
        merged = model.merge_and_unload()
    if hasattr(merged, "peft_config"):
        del merged.peft_config
    return merged


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
# studies' short conversations while keeping batches varied (transformers' default, up to 50,
# makes batches of near-identical lengths, hence similar examples, and runs learned erratically).
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


class EnvEvalTrainer(Trainer):
    """A Trainer whose evaluation plays greedy episodes in the env and logs their summary:
    ``eval/reward``, ``eval/tool_call_rate``, ``eval/turns`` and ``eval/<score>`` for each of the
    env's scores."""

    def __init__(
        self,
        *args,
        make_eval_env=None,
        eval_episodes: int = 256,
        token_learning_rate=None,
        decay_norms: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.make_eval_env, self.eval_episodes = make_eval_env, eval_episodes
        self.token_learning_rate, self.decay_norms = token_learning_rate, decay_norms

    def get_decay_parameter_names(self, model) -> list[str]:
        """Trainer's rule (no decay on norms and biases), or every parameter with ``decay_norms``."""
        if self.decay_norms:
            return [name for name, _ in model.named_parameters()]
        return super().get_decay_parameter_names(model)

    def compute_loss(self, model, inputs, *args, **kwargs):
        # PadToLongest pads on the right: under the causal mask no real token can attend to a
        # pad, and pads carry no label, so the padding mask changes nothing but the kernel.
        # Without it SDPA takes its causal path: 1.1x faster per step on 16 x ~465 tokens on 2
        # CPU cores (bench/function_calling.py). (The mask is still counted for
        # ``num_input_tokens_seen`` before this.)
        inputs = {key: value for key, value in inputs.items() if key != "attention_mask"}
        return super().compute_loss(model, inputs, *args, **kwargs)

    def create_optimizer(self, model=None):
        """Trainer's AdamW, with PEFT's trainable token rows in a group of their own (their own
        learning rate, no weight decay) when ``token_learning_rate`` is set."""
        if self.token_learning_rate is None or self.optimizer is not None:
            return super().create_optimizer(model)
        model = model or self.model
        decay = set(self.get_decay_parameter_names(model))
        groups: dict[str, dict] = {
            "tokens": {"params": [], "lr": self.token_learning_rate, "weight_decay": 0.0},
            "decay": {"params": [], "weight_decay": self.args.weight_decay},
            "no_decay": {"params": [], "weight_decay": 0.0},
        }
        for name, parameter in model.named_parameters():
            if parameter.requires_grad:
                group = "tokens" if "trainable_tokens" in name else "decay" if name in decay else "no_decay"
                groups[group]["params"].append(parameter)
        optimizer_class, options = Trainer.get_optimizer_cls_and_kwargs(self.args, model)
        self.optimizer = optimizer_class([g for g in groups.values() if g["params"]], **options)
        return self.optimizer

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        lengths = [len(ids) for ids in dataset["input_ids"]]
        return EpochSeededLengthGroupedSampler(self.args.train_batch_size, lengths, self.args.data_seed)

    def evaluate(
        self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval"
    ) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.make_eval_env is not None and self.is_world_process_zero():
            summary = summarize(
                play(self.model, self.processing_class, self.make_eval_env, self._eval_tasks())
            )
            metrics = {
                f"{metric_key_prefix}_{key}": value
                for key, value in summary.items()
                if key != "episodes" and value is not None
            }
            self.log(metrics)
        # As Trainer.evaluate does: callbacks hear of it, and the request to evaluate is cleared.
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics

    def _eval_tasks(self) -> list[dict[str, int]]:
        """A fixed random sample of the env's tasks: a stride could meet a pattern in the task ids."""
        env = self.make_eval_env()
        num_tasks = env.unwrapped.num_tasks
        env.close()
        chosen = np.random.default_rng(0).choice(
            num_tasks, size=min(num_tasks, self.eval_episodes), replace=False
        )
        return [{"task_id": int(i)} for i in sorted(chosen)]


class _EvaluateEvery(TrainerCallback):
    """Ask the trainer for an evaluation every ``steps`` steps (0: never)."""

    def __init__(self, steps: int):
        self.steps = steps

    def on_step_end(self, args, state, control, **kwargs):
        if self.steps and state.global_step % self.steps == 0:
            control.should_evaluate = True
        return control
