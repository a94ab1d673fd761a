"""Tool tokens (TokMem): each tool is one reserved token whose embedding row is learned, the model frozen.

A round teaches a new set of tools. The rows of that round's tokens are PEFT trainable tokens
(``TrainableTokensConfig``, or ``LoraConfig(trainable_token_indices=...)`` when LoRA is trained
too, TokMem's default in the first round only); every other weight, earlier rounds' rows
included, is frozen, so gradients reach only the current round's rows. After the round the
adapter is merged into the weights (``merge_and_unload``) and the next round starts from there.
With tied embeddings (TokMem's default on Llama-3.2) a row is both the token's input embedding
and its output logit weight; untied, PEFT trains the input row only.

Before the first round all tool rows get one orthogonal initialisation scaled to the mean norm
of the vocabulary's rows (TokMem's ``orthogonal_`` init); ``renorm`` rescales each later round's
rows to the mean norm of the earlier rounds' rows after training (TokMem's ``--renorm_active_tools``,
which its code applies from round 3 on; here from round 2 on, when asked).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from envs.checks import check_choice, check_int, check_ints, check_number
from envs.trajectory import Trajectory
from learners.common import PRECISIONS
from learners.sft_config import PeftOptions, SFTConfig


@dataclass
class ToolTokenConfig:
    """Options of the tool-token learner; defaults are TokMem's (``run_n_rounds_main.sh``)."""

    learning_rate: float = 5e-3
    """Learning rate of the tool-token rows."""
    lora: PeftOptions | None = field(
        default_factory=lambda: PeftOptions(r=8, alpha=32, dropout=0.1, target_modules=["q_proj", "v_proj"])
    )
    """LoRA trained with the tokens (None: tokens only)."""
    lora_learning_rate: float = 5e-5
    """Learning rate of the LoRA matrices."""
    lora_first_round_only: bool = True
    """Train LoRA in the first round only, later rounds train the tokens alone (TokMem's
    ``FREEZE_LORA_AFTER_FIRST``)."""
    epochs: list[int] = field(default_factory=lambda: [1, 3])
    """Epochs of each round (the last value repeats for later rounds)."""
    batch_size: int = 2
    """Conversations per optimisation step."""
    warmup_ratio: float = 0.1
    """Share of a round's steps spent warming up."""
    weight_decay: float = 0.01
    """AdamW weight decay of the LoRA matrices (the token rows have none)."""
    renorm: bool = False
    """After rounds 2+, rescale the new rows to the mean norm of the earlier rounds' rows."""
    logging_steps: int = 25
    """Steps between TensorBoard points."""
    save_steps: int = 500
    """Steps between checkpoints (a killed round resumes from the last one)."""
    seed: int = 0
    """Seed of the data order and of the initialisation."""
    precision: str = "auto"
    """``auto``, ``fp32`` or ``bf16`` (as the SFT learner)."""

    def __post_init__(self):
        check_number("learning_rate", self.learning_rate, minimum=0)
        check_number("lora_learning_rate", self.lora_learning_rate, minimum=0)
        if isinstance(self.lora, dict):
            self.lora = PeftOptions(**self.lora)
        if self.lora is not None and (not isinstance(self.lora, PeftOptions) or self.lora.method != "lora"):
            raise ValueError(f"lora={self.lora!r} is not valid; give LoRA options (method 'lora') or None")
        check_choice("lora_first_round_only", self.lora_first_round_only, (True, False))
        check_ints("epochs", self.epochs, minimum=1)  # refuses [] too
        for key in ("batch_size", "logging_steps", "save_steps"):
            check_int(key, getattr(self, key), minimum=1)
        check_int("seed", self.seed, minimum=0)
        check_number("warmup_ratio", self.warmup_ratio, minimum=0, maximum=1)
        check_number("weight_decay", self.weight_decay, minimum=0)
        check_choice("renorm", self.renorm, (True, False))
        check_choice("precision", self.precision, PRECISIONS)

    def round_sft(self, round_number: int, token_ids: Sequence[int], conversations: int) -> SFTConfig:
        """The SFT learner's options for round ``round_number`` (1-based) on ``conversations`` examples."""
        steps = round_steps(self.epochs, round_number, conversations, self.batch_size)
        with_lora = self.lora is not None and (round_number == 1 or not self.lora_first_round_only)
        peft = PeftOptions(
            **{
                **(vars(self.lora) if with_lora else {}),
                "method": "lora" if with_lora else "tokens",
                "trainable_token_indices": list(token_ids),
                "token_learning_rate": self.learning_rate,
            }
        )
        return SFTConfig(
            learning_rate=self.lora_learning_rate if with_lora else self.learning_rate,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_steps=steps,
            warmup_steps=int(self.warmup_ratio * steps),
            logging_steps=self.logging_steps,
            save_steps=self.save_steps,
            seed=self.seed,
            precision=self.precision,
            peft=peft,
        )


def round_steps(epochs: Sequence[int], round_number: int, conversations: int, batch_size: int) -> int:
    """Optimisation steps of round ``round_number`` (1-based): its epochs (the last value of
    ``epochs`` repeats for later rounds) over ``conversations`` at ``batch_size``."""
    per_round = epochs[min(round_number, len(epochs)) - 1]
    return max(1, math.ceil(per_round * conversations / batch_size))


def initialize_tool_rows(model, token_ids: Sequence[int], seed: int = 0) -> None:
    """One orthogonal initialisation of every tool row, scaled to the mean norm of the other rows."""
    import torch

    embedding = model.get_input_embeddings().weight
    with torch.no_grad():
        others = torch.ones(embedding.shape[0], dtype=torch.bool)
        others[list(token_ids)] = False
        norm = embedding[others].norm(dim=-1).mean()
        rows = torch.empty(len(token_ids), embedding.shape[1])
        torch.nn.init.orthogonal_(rows, generator=torch.Generator().manual_seed(seed))
        rows *= norm / rows.norm(dim=-1, keepdim=True)
        embedding[list(token_ids)] = rows.to(embedding.dtype)
        output = model.get_output_embeddings()
        if output is not None and output.weight.data_ptr() != embedding.data_ptr():
            output.weight[list(token_ids)] = rows.to(output.weight.dtype)


def renormalize(model, new_ids: Sequence[int], old_ids: Sequence[int]) -> None:
    """Rescale the rows of ``new_ids`` to the mean norm of the rows of ``old_ids``."""
    import torch

    for layer in {
        id(m): m for m in (model.get_input_embeddings(), model.get_output_embeddings()) if m
    }.values():
        weight = layer.weight
        with torch.no_grad():
            target = weight[list(old_ids)].norm(dim=-1).mean()
            rows = weight[list(new_ids)]
            weight[list(new_ids)] = rows * (target / rows.norm(dim=-1, keepdim=True))


def train_tool_tokens(
    model,
    tokenizer,
    trajectories: Sequence[Trajectory],
    round_number: int,
    token_ids: Sequence[int],
    all_token_ids: Sequence[int],
    config: ToolTokenConfig,
    output_dir: str | os.PathLike,
    *,
    earlier_ids: Sequence[int] = (),
    make_eval_env: Callable | None = None,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
):
    """Train one round's tool tokens on ``trajectories``; return the merged model (saved to
    ``output_dir/merged``) and how many parameters the round trained.

    Args:
        model: the model after the previous round (the pre-trained base in round 1).
        tokenizer: its tokenizer (it holds the reserved tokens).
        trajectories: the round's training conversations (tool-token format).
        round_number: 1-based; round 1 initialises every tool row first and trains LoRA too.
        token_ids: the ids of this round's tools (the only rows trained).
        all_token_ids: the ids of every tool of the study (initialised in round 1).
        config: the learner's options.
        output_dir: the SFT learner's folder of this round.
        earlier_ids: the ids of earlier rounds' tools (the ``renorm`` target).
        make_eval_env, resume, device, progress: as :func:`learners.sft.train_sft`.
    """
    from learners.sft import merge_adapters, train_sft

    output_dir = Path(output_dir)
    if round_number == 1:
        initialize_tool_rows(model, all_token_ids, seed=config.seed)
    sft = config.round_sft(round_number, token_ids, len(trajectories))
    trained = train_sft(
        model,
        tokenizer,
        trajectories,
        sft,
        output_dir,
        make_eval_env=make_eval_env,
        resume=resume,
        device=device,
        progress=progress,
    )
    trainable = sum(p.numel() for p in trained.parameters() if p.requires_grad)
    merged = merge_adapters(trained)
    if config.renorm and earlier_ids:
        renormalize(merged, token_ids, earlier_ids)
    merged.save_pretrained(output_dir / "merged")
    tokenizer.save_pretrained(output_dir / "merged")
    return merged, trainable
