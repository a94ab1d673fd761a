"""Options of the TnD learner (:mod:`learners.tnd`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from envs.checks import check_choice, check_int, check_number
from learners.value_ppo import ValuePPOConfig

VARIANTS = ("tnd", "clm", "trial", "demo", "double_clm")
DEMO_REWARDS = ("model", "constant")


def _tnd_ppo() -> ValuePPOConfig:
    # The paper's 2e-5 moves a 100M-parameter GPT-2 over 10k steps; the CPU students are
    # 1,000 times smaller and train 1,000 steps, where 2e-5 leaves the RL steps without effect.
    return ValuePPOConfig(learning_rate=3e-4, mini_batch_size=16)


@dataclass
class TnDConfig:
    """A student trained from scratch by CLM steps alternating with RL steps on trials and demonstrations.

    Defaults are the ``tnd`` study's CPU settings; ``--profile paper`` sets the paper's.
    """

    variant: str = "tnd"
    """``tnd`` (trials and demonstrations in one PPO batch), ``clm`` (causal LM only, every step),
    ``trial`` (PPO on trials only), ``demo`` (PPO on demonstrations only) or ``double_clm`` (the
    RL steps do CLM on the trials and demonstrations instead of PPO: the paper's CLM_TnD)."""
    max_steps: int = 1000
    """Training steps, CLM and RL together (the student's age)."""
    clm_per_cycle: int = 3
    """CLM steps before each run of RL steps (the paper's 3)."""
    rl_per_cycle: int = 1
    """RL steps after each run of CLM steps (the paper's 1)."""
    clm_batch_size: int = 64
    """Corpus utterances per CLM step."""
    clm_learning_rate: float = 1e-3
    """Peak AdamW learning rate of the CLM steps."""
    clm_warmup_steps: int = 800
    """Linear warm-up of the CLM learning rate, in training steps (CLM and RL: the rate is a
    function of the student's age, as in the published code); constant after. The paper warms up
    over 8,000 of its 10,000 steps; 800 of 1,000 keeps that proportion."""
    trials_per_step: int = 32
    """Prompts per RL step: as many trials, and as many demonstrations (the paper's 128 + 128)."""
    ppo: ValuePPOConfig = field(default_factory=_tnd_ppo)
    """The PPO update of the RL steps (its own AdamW, as in the paper's code)."""
    top_k: int = 20
    """Top-k sampling of trials (the paper's 20)."""
    max_new_tokens: int = 24
    """Longest trial."""
    demo_reward: str = "model"
    """``model``: demonstrations are scored by the reward model, as the paper says. ``constant``:
    the published code's ``log(teacher step) - log(step)``, the teacher's true age."""
    clm_in_rl_steps: bool = False
    """The published code's RL step: after the PPO update, one CLM step on that step's trials and
    demonstrations (its ``overlay='CLM'``, bug 2 in docs/tnd.md). Off, an RL step is the PPO
    update alone, as the paper says."""
    save_steps: int = 200
    """Steps between checkpoints (a killed run resumes from the last one)."""
    record_per_step: int = 4
    """Trials and demonstrations of each RL step written to the trajectories (each kind)."""
    logging_steps: int = 10
    """Steps between TensorBoard points."""
    seed: int = 0
    """Seed of the student's initialisation, the batches and the sampling."""

    def __post_init__(self) -> None:
        check_choice("variant", self.variant, VARIANTS)
        check_choice("demo_reward", self.demo_reward, DEMO_REWARDS)
        check_choice("clm_in_rl_steps", self.clm_in_rl_steps, (False, True))
        for key in ("max_steps", "clm_per_cycle", "rl_per_cycle", "clm_batch_size", "trials_per_step",
                    "top_k", "max_new_tokens", "save_steps", "logging_steps"):  # fmt: skip
            check_int(key, getattr(self, key), minimum=1)
        for key in ("clm_warmup_steps", "record_per_step", "seed"):
            check_int(key, getattr(self, key), minimum=0)
        check_number("clm_learning_rate", self.clm_learning_rate, minimum=0)

    def is_rl_step(self, step: int) -> bool:
        """Whether training step ``step`` (1-based) is an RL step: the last ``rl_per_cycle`` of each
        cycle of ``clm_per_cycle + rl_per_cycle`` steps, never for the CLM-only variant."""
        if self.variant == "clm":
            return False
        cycle = self.clm_per_cycle + self.rl_per_cycle
        return (step - 1) % cycle >= self.clm_per_cycle
