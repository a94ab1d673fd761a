"""Options of the PPO learner."""

from __future__ import annotations

from dataclasses import dataclass

from envs.checks import check_choice, check_int, check_number
from learners.common import PRECISIONS

SCALE_REWARDS = ("group", "batch", "none")
ADVANTAGES = ("group", "gae")
# PPOConfig.lr_schedule -> transformers' scheduler names (all start with the linear warm-up).
LR_SCHEDULES = {"constant": "constant_with_warmup", "linear": "linear", "cosine": "cosine"}


@dataclass
class PPOConfig:
    """Clipped policy optimisation on env rewards over multi-turn rollouts (see ``learners.ppo``).

    Defaults are the calculator study's calibrated CPU settings (README); a profile overrides them.
    """

    learning_rate: float = 2.5e-4
    """Peak learning rate of AdamW."""
    max_steps: int = 400
    """Optimiser updates. Each batch of rollouts serves ``ppo_epochs`` consecutive updates, so a
    run plays ``ceil(max_steps / ppo_epochs) * tasks_per_step * rollouts_per_task`` episodes."""
    tasks_per_step: int = 16
    """Distinct tasks played per batch of rollouts."""
    rollouts_per_task: int = 4
    """Episodes per task per batch: the group whose mean reward is the advantage's baseline."""
    ppo_epochs: int = 2
    """Optimisation passes over each batch of rollouts; from the second on the ratio departs
    from 1 and the clip acts (TRL's ``num_iterations``)."""
    clip_epsilon: float = 0.2
    """Clip range of the probability ratio."""
    kl_coef: float = 0.0
    """Weight of the KL penalty to the starting model (0: no reference model is kept)."""
    advantage: str = "group"
    """``group``: no value network, the episode's reward minus its group's mean (TRL 1.x's GRPO,
    :mod:`learners.ppo`). ``gae``: a value head and GAE over the model's tokens, TRL 0.7's
    ``PPOTrainer`` that TRL's calculator example was first trained with (:mod:`learners.ppo_gae`)."""
    scale_rewards: str = "group"
    """Reward normalisation of the group advantages: ``group`` (divide by the group's std),
    ``batch`` (by the batch's std) or ``none`` (centre only). ``gae`` whitens over the batch."""
    vf_coef: float = 0.1
    """``gae`` only: weight of the clipped value loss (TRL 0.7's 0.1)."""
    cliprange_value: float = 0.2
    """``gae`` only: clip range of the value prediction around its value at sampling time."""
    gamma: float = 1.0
    """``gae`` only: discount over the model's tokens."""
    gae_lambda: float = 0.95
    """``gae`` only: GAE's lambda."""
    kl_target: float = 0.0
    """``gae`` only: 0 keeps ``kl_coef`` fixed; above 0, TRL's adaptive controller moves the
    coefficient (starting at ``kl_coef``) towards this KL per episode, in nats (TRL: 6)."""
    temperature: float = 1.0
    """Sampling temperature of the rollouts."""
    top_p: float = 1.0
    """Nucleus sampling of the rollouts."""
    max_new_tokens: int = 48
    """Longest assistant turn generated."""
    max_completion_length: int = 160
    """Longest episode after the prompt, in tokens: a longer one is cut there and masked whole
    (none of its tokens is trained; its reward still counts in its group's baseline)."""
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
    """``auto`` (bf16 on CUDA devices that support it, fp32 elsewhere), ``fp32`` or ``bf16``
    (bf16 autocast on CPUs too, fast where they have bf16 instructions: :func:`learners.common.use_bf16`)."""

    def __post_init__(self):
        check_number("learning_rate", self.learning_rate, minimum=0)
        for key in ("max_steps", "tasks_per_step", "rollouts_per_task", "ppo_epochs", "max_new_tokens",
                    "max_completion_length", "logging_steps", "save_steps", "save_total_limit"):  # fmt: skip
            check_int(key, getattr(self, key), minimum=1)
        for key in ("warmup_steps", "seed"):
            check_int(key, getattr(self, key), minimum=0)
        check_number("clip_epsilon", self.clip_epsilon, minimum=0, maximum=1)
        for key in ("kl_coef", "kl_target", "vf_coef", "cliprange_value"):
            check_number(key, getattr(self, key), minimum=0)
        check_number("gamma", self.gamma, minimum=0, maximum=1)
        check_number("gae_lambda", self.gae_lambda, minimum=0, maximum=1)
        check_choice("advantage", self.advantage, ADVANTAGES)
        if self.kl_target > 0 and (self.advantage != "gae" or self.kl_coef == 0):
            raise ValueError(
                f"kl_target={self.kl_target} needs advantage='gae' and a starting kl_coef > 0 "
                f"(got advantage={self.advantage!r}, kl_coef={self.kl_coef})"
            )
        check_number("max_grad_norm", self.max_grad_norm, minimum=0)
        check_number("temperature", self.temperature, minimum=1e-6)
        check_number("top_p", self.top_p, minimum=1e-6, maximum=1)
        check_choice("scale_rewards", self.scale_rewards, SCALE_REWARDS)
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_choice("precision", self.precision, PRECISIONS)
