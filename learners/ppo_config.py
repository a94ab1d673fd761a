"""Options of the PPO learner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PPOConfig:
    """Clipped policy optimisation on env rewards over multi-turn rollouts (see ``learners.ppo``)."""

    learning_rate: float = 5e-4
    """Peak learning rate of AdamW."""
    max_steps: int = 100
    """Policy updates, each on a fresh batch of rollouts."""
    tasks_per_step: int = 16
    """Distinct tasks played per step."""
    rollouts_per_task: int = 4
    """Episodes per task per step: the group whose mean reward is the advantage's baseline."""
    ppo_epochs: int = 2
    """Optimisation passes over each batch of rollouts; from the second on the ratio departs
    from 1 and the clip acts (TRL's ``num_iterations``)."""
    clip_epsilon: float = 0.2
    """Clip range of the probability ratio."""
    kl_coef: float = 0.0
    """Weight of the KL penalty to the starting model (0: no reference model is kept)."""
    scale_rewards: str = "group"
    """Reward normalisation of the advantages: ``group`` (divide by the group's std), ``batch``
    (by the batch's std) or ``none`` (centre only)."""
    temperature: float = 1.0
    """Sampling temperature of the rollouts."""
    top_p: float = 1.0
    """Nucleus sampling of the rollouts."""
    max_new_tokens: int = 48
    """Longest assistant turn generated."""
    max_completion_length: int = 160
    """Longest episode after the prompt, in tokens (longer ones are cut and masked)."""
    warmup_steps: int = 0
    """Linear warm-up steps of the learning rate."""
    lr_schedule: str = "constant"
    """The learning rate after warm-up: ``constant``, ``linear`` (down to 0 at ``max_steps``) or
    ``cosine``. A decaying rate ends on small updates, so the final policy is a settled one and
    not one caught in the middle of a swing."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm."""
    logging_steps: int = 5
    """Steps between TensorBoard points."""
    save_steps: int = 25
    """Steps between checkpoints (a killed run resumes from the last one)."""
    save_total_limit: int = 2
    """Checkpoints kept."""
    seed: int = 0
    """Seed of the task order and of the sampling."""
    precision: str = "auto"
    """``auto`` (bf16 on CUDA devices that support it, fp32 elsewhere), ``fp32`` or ``bf16``."""
