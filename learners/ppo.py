"""The PPO learner: clipped policy optimisation on env rewards, over multi-turn tool-using rollouts.

Built on TRL's ``GRPOTrainer`` (TRL 1.x has no ``PPOTrainer`` or ``TextEnvironment`` any more)
with a ``rollout_func`` that plays toolgym envs:

- **Rollouts.** For each batch, ``tasks_per_step`` tasks are each played ``rollouts_per_task`` times by
  the policy itself (:class:`~agents.lm_agent.LMAgent`, sampling), all episodes at once through a
  Gymnasium vector env: one batched ``generate`` per turn for the whole batch, tool answers fed
  live. An episode is one token stream: the prompt, then every assistant turn and every tool
  answer. ``env_mask`` is 1 on the tokens the model generated and 0 on those the env wrote, so
  the loss never trains on tool output (TRL's tool mask). An episode longer than
  ``max_completion_length`` tokens after its prompt is cut there and masked whole: none of its
  tokens is trained (its reward, earned by the whole episode, would credit text the loss never
  sees), while its reward still counts in its group's baseline.
- **Objective.** PPO's clipped surrogate, per token of the model's own text:
  ``-min(r A, clip(r, 1 - eps, 1 + eps) A)`` with ``r = pi(a|s) / pi_old(a|s)``, averaged over
  the active tokens of the batch (TRL's ``dapo`` aggregation, no length bias). Each batch of
  rollouts is optimised for ``ppo_epochs`` consecutive steps; from the second the ratio departs
  from 1 and the clip acts. Optional penalty ``kl_coef * KL(pi || pi_start)`` (the k3 estimator).
- **Advantage.** No value network: the episode's reward minus the mean reward of the
  ``rollouts_per_task`` episodes of the same task (GRPO's group baseline), divided by the group's
  standard deviation (``scale_rewards="group"``), the batch's (``"batch"``) or not at all
  (``"none"``). Every token of an episode gets its episode's advantage (rewards are terminal).
  ``advantage="gae"`` trains instead with a value head and GAE, TRL 0.7's algorithm, in its own
  loop on the same rollouts (:mod:`learners.ppo_gae`).

**A step** is one optimiser update (TRL's ``global_step``). Each batch of rollouts
(``tasks_per_step x rollouts_per_task`` episodes) serves ``ppo_epochs`` consecutive steps, so a
run of ``max_steps`` plays ``ceil(max_steps / ppo_epochs)`` batches; each record's ``step`` is the
step its batch was played at (0, ``ppo_epochs``, ``2 ppo_epochs``...).

TensorBoard (``tb/``): TRL's reward, reward std, KL, loss, clip fractions, entropy and lengths
(``completions/clipped_ratio`` is the share of episodes cut at ``max_completion_length``),
plus ``env/tool_call_rate``, ``env/success_rate``, ``env/turns`` and ``rollout/tokens_per_s``
(tokens generated per second of rollout) and ``train/tokens_per_s`` (episode tokens per second
of the whole step).

Works with any registered toolgym env: it only needs the env factory, reset options naming the
tasks, and the env's ``turn_ends`` (where the agent stops generating).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import fmean
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from datasets import Dataset
from torch.utils.tensorboard import SummaryWriter
from transformers import TrainerCallback
from transformers.integrations import TensorBoardCallback
from trl import GRPOConfig, GRPOTrainer

from agents.lm_agent import LMAgent
from agents.rollout import rollout
from agents.tokenizers import attach_tokens, chat_messages
from envs.trajectory import Trajectory, append_trajectories
from learners.common import quiet_library_warnings, resolve_device, train_and_save, trainer_options
from learners.ppo_config import LR_SCHEDULES, PPOConfig


def train_ppo(
    model,
    tokenizer,
    make_env: Callable[[], gym.Env],
    tasks: Sequence[dict[str, Any]],
    config: PPOConfig,
    output_dir: str | os.PathLike,
    tb_dir: str | os.PathLike | None = None,
    rollout_path: str | os.PathLike | None = None,
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
    callbacks: Sequence[TrainerCallback] = (),
):
    """Train ``model`` by PPO on the rewards of ``make_env``'s episodes; return the trained model.

    Args:
        model: a Hugging Face causal LM (the policy; also the starting point of the KL penalty).
        tokenizer: its tokenizer, with a chat template that marks generation spans.
        make_env: builds one env (e.g. ``lambda: gym.make("toolgym/Calculator-v0")``).
        tasks: the reset options of the training tasks (``{"task_id": i}``), drawn in random order.
        config: the learner's options.
        output_dir: checkpoints go to ``output_dir/checkpoint-*``, the final model to ``output_dir/final``.
        tb_dir: TensorBoard folder (default ``output_dir/tb``).
        rollout_path: JSONL file every training episode is appended to (with token ids and masks).
        resume: continue from the last checkpoint in ``output_dir`` if there is one.
        device: ``cpu``, ``cuda`` or ``auto``.
        progress: show a progress bar.
        callbacks: extra ``transformers.TrainerCallback`` objects.
    """
    if not tasks:
        raise ValueError("train_ppo needs at least one task")
    device = resolve_device(device)
    output_dir = Path(output_dir)
    player = EnvRollouts(make_env, tasks, tokenizer, config, rollout_path)
    writer = SummaryWriter(str(tb_dir or output_dir / "tb"))
    if config.advantage == "gae":
        from learners.ppo_gae import train_gae_ppo

        return train_gae_ppo(
            model, tokenizer, player, config, output_dir, writer, resume, device, progress, callbacks
        )
    batch = config.tasks_per_step * config.rollouts_per_task
    with quiet_library_warnings():
        args = GRPOConfig(
            **trainer_options(config, output_dir, device, progress),
            lr_scheduler_type=LR_SCHEDULES[config.lr_schedule],
            per_device_train_batch_size=batch,
            num_generations=config.rollouts_per_task,
            num_iterations=config.ppo_epochs,
            epsilon=config.clip_epsilon,
            beta=config.kl_coef,
            scale_rewards=config.scale_rewards,
            loss_type="dapo",
            temperature=config.temperature,
            top_p=config.top_p,
            max_completion_length=config.max_completion_length,
        )
    if config.kl_coef > 0:
        _keep_reference(model, output_dir / "reference")
    with quiet_library_warnings():
        trainer = EnvGRPOTrainer(
            player,
            model=model,
            reward_funcs=[env_reward],
            args=args,
            train_dataset=player.dataset(),
            processing_class=tokenizer,
            rollout_func=player,
            callbacks=[TensorBoardCallback(writer), *callbacks],
        )
        return train_and_save(trainer, tokenizer, config, output_dir, writer, resume)


def _keep_reference(model, folder: Path) -> None:
    """Save the starting model once, where TRL loads the KL penalty's reference model from.

    TRL builds the reference from the policy's ``name_or_path``, which a model built from a config
    does not have; a resumed run keeps the first run's starting model as its reference.
    """
    if not (folder / "config.json").exists():
        model.save_pretrained(folder)
    model.config._name_or_path = str(folder)


def env_reward(prompts, completions, env_reward: list[float], **_) -> list[float]:
    """The reward function TRL calls: the env's reward of each episode, passed on by the rollout."""
    return list(env_reward)


class EnvRollouts:
    """TRL's ``rollout_func``: plays the prompts' tasks in the env and returns their token streams.

    TRL hands it each step's prompts (already repeated ``rollouts_per_task`` times) and expects one
    episode per prompt: ``prompt_ids``, ``completion_ids`` (every token after the prompt, model's
    and env's), ``logprobs`` (the sampling log-probabilities of the completion tokens, 0 on env
    tokens) and ``env_mask``; ``env_reward`` reaches :func:`env_reward`.
    """

    def __init__(
        self,
        make_env: Callable[[], gym.Env],
        tasks: Sequence[dict[str, Any]],
        tokenizer,
        config: PPOConfig,
        rollout_path: str | os.PathLike | None = None,
    ):
        self.make_env, self.tokenizer, self.config = make_env, tokenizer, config
        self.rollout_path = rollout_path
        env = make_env()
        self.env_id = env.spec.id if env.spec else type(env.unwrapped).__name__
        self.turn_ends = tuple(getattr(env.unwrapped, "turn_ends", ()))
        # TRL hands the rollout function the dataset's prompts only, so each prompt is a key that
        # names its task: "#<index> <first observation>", unique even when two tasks ask the same
        # question. The model never reads it: its prompt is rendered from the env's observation.
        self.task_of: dict[str, dict[str, Any]] = {}
        for index, options in enumerate(tasks):
            observation, _ = env.reset(options=dict(options))
            self.task_of[f"#{index} {observation}"] = dict(options)
        env.close()
        self.played = 0
        self.stats: dict[str, float] = {}
        self.cut: list[bool] = []
        self.generated: list[int] = []

    def dataset(self) -> Dataset:
        return Dataset.from_list([{"prompt": prompt} for prompt in self.task_of])

    def __call__(self, prompts: list[str], trainer: GRPOTrainer) -> dict[str, list]:
        model = trainer.accelerator.unwrap_model(trainer.model)
        return self.play(model, prompts, trainer.state.global_step, record=trainer.is_world_process_zero())

    def play(
        self, model, prompts: list[str], step: int, record: bool = True, logprobs: bool = True
    ) -> dict[str, list]:
        """Play the prompts' tasks with ``model`` (episodes recorded at ``step`` when ``record``);
        the token streams as TRL's rollout function returns them (without ``logprobs`` when not
        asked for: the GAE learner computes its own)."""
        config = self.config
        agent = LMAgent(
            model,
            self.tokenizer,
            max_new_tokens=config.max_new_tokens,
            do_sample=True,
            temperature=config.temperature,
            top_p=config.top_p,
            batch_size=len(prompts),
            name="ppo",
            stop_strings=self.turn_ends,
        )
        started = time.perf_counter()
        episodes = rollout(
            self.make_env,
            agent,
            tasks=[self.task_of[prompt] for prompt in prompts],
            num_envs=len(prompts),
            # Episode k of this batch resets with seed base + k, base drawn from (run seed, episodes
            # played so far). The tasks are given, so the seed only reaches envs that draw from it.
            seed=int(np.random.SeedSequence([config.seed, self.played]).generate_state(1)[0]),
            step=step,
        )
        rollout_seconds = time.perf_counter() - started
        self.played += len(episodes)
        attach_tokens(self.tokenizer, episodes)
        if self.rollout_path is not None and record:
            append_trajectories(self.rollout_path, episodes)
        streams = [split_prompt(self.tokenizer, episode) for episode in episodes]
        limit = config.max_completion_length
        self.cut = [len(completion) > limit for _, completion, _ in streams]
        completion_ids = [c[:limit] for _, c, _ in streams]
        env_mask = [
            [0] * len(m[:limit]) if cut else m[:limit]
            for (_, _, m), cut in zip(streams, self.cut, strict=True)
        ]
        prompt_ids = [p for p, _, _ in streams]
        self.generated = [sum(mask) for _, _, mask in streams]
        generated = sum(sum(mask) for mask in env_mask)
        self.stats = {
            "env/tool_call_rate": _mean(e.metrics.get("tool_calls", 0) > 0 for e in episodes),
            "env/success_rate": _mean(e.reward >= 1.0 for e in episodes),
            "env/turns": _mean(e.metrics.get("turns", 0) for e in episodes),
            "rollout/tokens_per_s": generated / max(rollout_seconds, 1e-9),
            "rollout/seconds": rollout_seconds,
            "rollout/cut_ratio": _mean(self.cut),
        }
        batch = {
            "prompt_ids": prompt_ids,
            "completion_ids": completion_ids,
            "env_mask": env_mask,
            "env_reward": [e.reward for e in episodes],
        }
        if logprobs:
            batch["logprobs"] = sampling_logprobs(
                model, prompt_ids, completion_ids, env_mask, config.temperature
            )
        return batch


def split_prompt(tokenizer, episode: Trajectory) -> tuple[list[int], list[int], list[int]]:
    """An episode's token stream cut after the prompt: (prompt ids, completion ids, env mask).

    The prompt is the first observation rendered with the generation prompt, exactly what the
    agent was given; the rest is the model's turns (mask 1) and the env's answers (mask 0).
    """
    prompt = tokenizer.apply_chat_template(
        chat_messages(episode.messages[:1]), add_generation_prompt=True, tokenize=True, return_dict=False
    )
    ids, mask = episode.token_ids, episode.loss_mask
    if ids[: len(prompt)] != prompt:
        raise ValueError("the chat template does not render the prompt as the start of the episode")
    return prompt, ids[len(prompt) :], mask[len(prompt) :]


def sampling_logprobs(
    model, prompts: list[list[int]], completions: list[list[int]], masks: list[list[int]], temperature: float
) -> list[list[float]]:
    """Log-probabilities of the completion tokens under ``model`` at ``temperature`` (0 where
    mask is 0): what the rollout sampled from, since the policy has not changed since."""
    from torch.nn.utils.rnn import pad_sequence

    sequences = [torch.tensor(p + c) for p, c in zip(prompts, completions, strict=True)]
    lengths = torch.tensor([len(s) for s in sequences])
    input_ids = pad_sequence(sequences, batch_first=True, padding_value=0).to(model.device)
    attention = (torch.arange(input_ids.shape[1])[None, :] < lengths[:, None]).long().to(model.device)
    with torch.inference_mode():
        logits = model(input_ids=input_ids, attention_mask=attention).logits.float() / temperature
    logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, input_ids[:, 1:, None])[..., 0].cpu()
    result = []
    for row, (prompt, completion, mask) in enumerate(zip(prompts, completions, masks, strict=True)):
        values = logps[row, len(prompt) - 1 : len(prompt) - 1 + len(completion)].tolist()
        result.append([v if keep else 0.0 for v, keep in zip(values, mask, strict=True)])
    return result


class EnvGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` whose logs also carry the rollouts' env statistics and throughput."""

    def __init__(self, player: EnvRollouts, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.player = player
        self._step_started = time.perf_counter()
        self._tokens_at_start = 0

    def _generate(self, prompts: list):
        """TRL's generation step, with its completion metrics made true for env episodes.

        TRL counts a completion as clipped when it does not end in ``eos``; an episode ends at the
        agent's turn end or the env's answer, never ``eos``, so TRL would log every one as clipped.
        Here clipped means cut at ``max_completion_length``, and the terminated lengths are the
        model tokens of the episodes that were not cut (this process's episodes).
        """
        result = super()._generate(prompts)
        metrics = self._metrics["train" if self.model.training else "eval"]
        player = self.player
        finished = [n for n, cut in zip(player.generated, player.cut, strict=True) if not cut] or [0]
        true_values = {
            "completions/clipped_ratio": _mean(player.cut),
            "completions/mean_terminated_length": _mean(finished),
            "completions/min_terminated_length": float(min(finished)),
            "completions/max_terminated_length": float(max(finished)),
        }
        for key, value in true_values.items():
            metrics[key][-1] = value
        return result

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:  # a training log, not the final summary
            logs.update(self.player.stats)
            tokens = self.state.num_input_tokens_seen
            seconds = time.perf_counter() - self._step_started
            if seconds > 0 and tokens > self._tokens_at_start:
                logs["train/tokens_per_s"] = (tokens - self._tokens_at_start) / seconds
            self._step_started, self._tokens_at_start = time.perf_counter(), tokens
        super().log(logs, start_time)


def _mean(values) -> float:
    return fmean(float(v) for v in values)
