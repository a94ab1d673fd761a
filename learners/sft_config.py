"""Options of the SFT learner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SFTConfig:
    """Supervised fine-tuning on recorded conversations, loss on the assistant's tokens only.

    In-weight and in-tool learning are this one learner on different data (the oracle's
    conversations without and with database calls). Defaults are the in-tool learning paper's.
    """

    learning_rate: float = 1e-3
    """Peak learning rate of AdamW."""
    weight_decay: float = 0.1
    """AdamW weight decay (not applied to norms and biases)."""
    adam_beta2: float = 0.99
    """AdamW second-moment decay."""
    batch_size: int = 128
    """Conversations per optimisation step (across all devices)."""
    max_steps: int = 1000
    """Optimisation steps."""
    warmup_steps: int = 50
    """Linear warm-up steps before the cosine decay to zero."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm."""
    logging_steps: int = 25
    """Steps between TensorBoard points of loss, learning rate and tokens/s."""
    eval_steps: int = 0
    """Steps between recall evaluations during training (greedy episodes in the env); 0 = none."""
    eval_episodes: int = 256
    """Episodes played per recall evaluation during training."""
    save_steps: int = 250
    """Steps between checkpoints (``--resume`` continues from the last one)."""
    save_total_limit: int = 2
    """Checkpoints kept."""
    seed: int = 0
    """Seed of the data order."""
    assistant_only_loss: bool = True
    """Loss on the assistant's spans only; False: on every token (causal LM pre-training)."""
    precision: str = "auto"
    """``auto`` (bf16 on CUDA devices that support it, fp32 elsewhere), ``fp32`` or ``bf16``."""
