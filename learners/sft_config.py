"""Options of the SFT learner."""

from __future__ import annotations

from dataclasses import dataclass

from envs.checks import check_choice, check_int, check_ints, check_number
from learners.common import PRECISIONS

PEFT_METHODS = ("lora", "tokens")


@dataclass
class PeftOptions:
    """LoRA adapters instead of training every weight (PEFT); QLoRA with ``load_in_4bit``; or
    only chosen embedding rows (``method="tokens"``: new tool tokens on a frozen model)."""

    method: str = "lora"
    """``lora``: LoRA adapters (and the ``trainable_token_indices`` rows); ``tokens``: only the
    ``trainable_token_indices`` rows are trained (PEFT's ``TrainableTokensConfig``), no adapter."""
    r: int = 8
    """Rank of the LoRA matrices."""
    alpha: int = 16
    """LoRA scaling numerator (the update is scaled by ``alpha / r``)."""
    dropout: float = 0.0
    """Dropout on the LoRA branch."""
    target_modules: list[str] | None = None
    """Module names given adapters (e.g. ``["q_proj", "v_proj"]`` or ``["all-linear"]``);
    None: PEFT's default for the architecture."""
    trainable_token_indices: list[int] | None = None
    """Token ids whose embedding rows are trained as well (new tool tokens), all others frozen.
    With tied embeddings the output rows are the same tensor (PEFT ties the two)."""
    token_learning_rate: float | None = None
    """Learning rate of the trainable token rows (no weight decay on them); None: the learner's.
    TokMem trains its tool tokens at 5e-3 and LoRA at 5e-5."""
    load_in_4bit: bool = False
    """QLoRA: the base model is loaded 4-bit quantised (bitsandbytes, CUDA only); see
    :func:`agents.model.load_model`."""

    def __post_init__(self):
        check_choice("peft.method", self.method, PEFT_METHODS)
        check_int("peft.r", self.r, minimum=1)
        check_number("peft.alpha", self.alpha, minimum=0)
        check_number("peft.dropout", self.dropout, minimum=0, maximum=1)
        if self.target_modules is not None and (
            not isinstance(self.target_modules, list | tuple)
            or not all(isinstance(m, str) for m in self.target_modules)
        ):
            raise ValueError(
                f"peft.target_modules={self.target_modules!r} is not valid; it must be a list of names"
            )
        if self.trainable_token_indices is not None:
            check_ints("peft.trainable_token_indices", self.trainable_token_indices, minimum=0)
        elif self.method == "tokens":
            raise ValueError("peft.method='tokens' needs peft.trainable_token_indices (the rows to train)")
        if self.token_learning_rate is not None:
            check_number("peft.token_learning_rate", self.token_learning_rate, minimum=0)
        check_choice("peft.load_in_4bit", self.load_in_4bit, (False, True))


@dataclass
class SFTConfig:
    """Supervised fine-tuning on recorded conversations, loss on the assistant's tokens only.

    In-weight and in-tool learning are this one learner on different data (the oracle's
    conversations without and with database calls). Defaults are the in-tool learning paper's.
    """

    learning_rate: float = 1e-3
    """Peak learning rate of AdamW."""
    weight_decay: float = 0.1
    """AdamW weight decay (not applied to norms and biases unless ``decay_norms``)."""
    decay_norms: bool = False
    """Weight decay on every parameter, norms and biases too (itl's single parameter group)."""
    adam_beta2: float = 0.99
    """AdamW second-moment decay."""
    batch_size: int = 128
    """Conversations per optimisation step (across all devices)."""
    max_steps: int = 1000
    """Optimisation steps."""
    warmup_steps: int = 50
    """Linear warm-up steps before the cosine decay to zero."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0: no clipping)."""
    logging_steps: int = 25
    """Steps between TensorBoard points of loss, learning rate and tokens/s."""
    eval_steps: int = 0
    """Steps between evaluations during training (greedy episodes in the env, logged as
    ``eval/reward`` and ``eval/<score>``); 0 = none."""
    eval_episodes: int = 256
    """Episodes played per evaluation during training (a fixed random sample of the env's tasks)."""
    save_steps: int = 250
    """Steps between checkpoints (``--resume`` continues from the last one)."""
    save_total_limit: int = 2
    """Checkpoints kept."""
    seed: int = 0
    """Seed of the data order."""
    assistant_only_loss: bool = True
    """Loss on the assistant's spans only; False: on every token (causal LM pre-training)."""
    precision: str = "auto"
    """``auto`` (bf16 on CUDA devices that support it, fp32 elsewhere), ``fp32`` or ``bf16``
    (bf16 autocast on CPUs too, fast where they have bf16 instructions: :func:`learners.common.use_bf16`)."""
    peft: PeftOptions | None = None
    """Train LoRA adapters (and chosen embedding rows) instead of every weight; None: full training."""

    def __post_init__(self):
        check_number("learning_rate", self.learning_rate, minimum=0)
        check_number("weight_decay", self.weight_decay, minimum=0)
        check_choice("decay_norms", self.decay_norms, (False, True))
        check_number("adam_beta2", self.adam_beta2, minimum=0, maximum=1)
        for key in (
            "batch_size",
            "max_steps",
            "logging_steps",
            "eval_episodes",
            "save_steps",
            "save_total_limit",
        ):
            check_int(key, getattr(self, key), minimum=1)
        for key in ("warmup_steps", "eval_steps", "seed"):
            check_int(key, getattr(self, key), minimum=0)
        check_number("max_grad_norm", self.max_grad_norm, minimum=0)
        check_choice("assistant_only_loss", self.assistant_only_loss, (True, False))
        check_choice("precision", self.precision, PRECISIONS)
        if isinstance(self.peft, dict):  # as read back from JSON or given by --set
            self.peft = PeftOptions(**self.peft)
        if self.peft is not None and not isinstance(self.peft, PeftOptions):
            raise ValueError(f"peft={self.peft!r} is not valid; it must be PEFT options or None")
