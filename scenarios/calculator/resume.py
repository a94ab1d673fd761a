"""What lets a killed calculator run resume to the results of an uninterrupted one.

- :func:`keep_checkpointed_rollouts`: PPO resumes from its last checkpoint, so the rollouts
  recorded after it (played again on resume) are dropped first, and a torn last line with them.
- :func:`save_random_state` / :func:`restore_random_state`: the sampled evaluation after PPO
  draws from the random state PPO left; a resumed run that reads the final policy back restores
  it, so it plays the same episodes.
- :class:`Stopwatch`: seconds summed over the resumed attempts of a run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def keep_checkpointed_rollouts(path: Path, checkpoints: Path) -> None:
    """Before PPO resumes from its last checkpoint (step N), drop the recorded rollouts of steps N and
    later (PPO plays them again) and a torn last line; the file is rewritten atomically.

    A rollout is recorded with the step it was played at (the optimiser steps done before it), so
    the checkpoint after N steps was trained on the rollouts of steps below N.
    """
    from agents.evaluate import write_fresh
    from envs.trajectory import read_trajectories
    from learners.common import last_checkpoint

    if not path.exists():
        return
    checkpoint = last_checkpoint(checkpoints)
    steps = json.loads((checkpoint / "trainer_state.json").read_text())["global_step"] if checkpoint else 0
    write_fresh(path, [e for e in read_trajectories(path) if e.step is not None and e.step < steps])


class Stopwatch:
    """Seconds a run has taken, summed over its resumed attempts, kept in a small JSON file.

    Each attempt adds the time since it started to what the file held when it started; the file
    is updated on every ``save`` (at PPO's checkpoints and at the end), so a killed attempt loses
    at most the time since its last save.
    """

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.before = json.loads(path.read_text())["seconds"] if resume and path.exists() else 0.0
        self.started = time.perf_counter()

    def save(self) -> float:
        """Write the seconds so far and return them."""
        seconds = self.before + time.perf_counter() - self.started
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps({"seconds": seconds}))
        temporary.replace(self.path)
        return seconds


def clock_saver(clocks: list[Stopwatch]):
    """A ``TrainerCallback`` that saves ``clocks`` with every checkpoint."""
    from transformers import TrainerCallback

    class SaveClocks(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            for clock in clocks:
                clock.save()

    return SaveClocks()


def save_random_state(path: Path) -> None:
    """Save the random state of Python, NumPy and torch (CPU and CUDA) to ``path``."""
    import random

    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    torch.save(state, path)


def restore_random_state(path: Path) -> None:
    """Restore the random state :func:`save_random_state` wrote to ``path``, if it is there."""
    import random

    import numpy as np
    import torch

    if not path.exists():  # killed between saving the policy and its random state
        return
    state = torch.load(path, weights_only=False)
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
