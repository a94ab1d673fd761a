"""PPO with a value head and GAE: the algorithm of TRL 0.7's ``PPOTrainer``, which TnD trains with.

TRL 1.x removed ``PPOTrainer`` and ``AutoModelForCausalLMWithValueHead`` (its RL learners are
critic-free, as :mod:`learners.ppo` uses), so the few parts written here follow TRL 0.7.1's
``ppo_trainer.py`` step by step, the version the TnD code pins:

- **Value head**: dropout then a linear layer on the last hidden state (TRL's ``ValueHead``).
- **Rewards**: per response token ``-kl_coef * (log pi - log pi_ref)`` (0 with ``kl_coef=0``, TnD's
  setting), with the episode's score added on the last token. The coefficient is fixed, or, with
  ``kl_target > 0``, TRL's adaptive controller (:class:`KLController`, 0.7 to 0.11).
- **Advantages**: GAE over the response tokens (``gamma``, ``lam``), returns = advantages + values,
  advantages whitened over the batch. A response may have gaps the model did not write (a tool's
  answer inside a multi-turn episode): GAE runs over the model's tokens only, each bootstrapping
  from the value of the next token the model writes (TRL 0.7 bootstrapped from 0 across a gap).
- **Loss**: clipped policy loss plus ``vf_coef`` times the clipped value loss
  (``0.5 * max((v - R)^2, (clip(v, v_old +- cliprange_value) - R)^2)``), each a mean over
  response tokens, for ``ppo_epochs`` passes over shuffled minibatches.

A sample is (query ids, response ids, score) or (query ids, response ids, score, response mask),
the mask 1 on the response tokens the policy wrote and 0 on those it did not (trained on, rewarded
and valued: only the 1s); queries and responses of any lengths, batched with right padding.
Nothing here knows a study.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from envs.checks import check_int, check_number


@dataclass
class ValuePPOConfig:
    """Options of a PPO update (TRL 0.7's names and, where TnD sets them, TnD's values)."""

    learning_rate: float = 2e-5
    """AdamW learning rate of the policy and value head (TnD: 2e-5)."""
    mini_batch_size: int = 16
    """Samples per gradient step within a batch."""
    ppo_epochs: int = 1
    """Passes over each batch (TnD: 1)."""
    cliprange: float = 0.2
    """Clip range of the probability ratio."""
    cliprange_value: float = 0.2
    """Clip range of the value prediction around its value at sampling time."""
    vf_coef: float = 0.1
    """Weight of the value loss (TnD: 0.1)."""
    gamma: float = 1.0
    """Discount over response tokens."""
    lam: float = 0.95
    """GAE's lambda."""
    kl_coef: float = 0.0
    """Per-token KL penalty to the reference model (TnD removes it: 0); with ``kl_target``, its
    starting value (TRL's ``init_kl_coef``, 0.2 by default there)."""
    kl_target: float = 0.0
    """0: the KL coefficient stays ``kl_coef``. Above 0: TRL's adaptive controller moves it so the
    KL of a response to the reference stays near this many nats (TRL's ``target``, 6 there)."""
    kl_horizon: int = 10_000
    """Samples over which the adaptive controller's coefficient may change by a factor e^0.2."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm."""

    def __post_init__(self) -> None:
        check_number("learning_rate", self.learning_rate, minimum=0)
        check_int("mini_batch_size", self.mini_batch_size, minimum=1)
        check_int("ppo_epochs", self.ppo_epochs, minimum=1)
        check_int("kl_horizon", self.kl_horizon, minimum=1)
        for key in ("cliprange", "cliprange_value", "vf_coef", "kl_coef", "kl_target", "max_grad_norm"):
            check_number(key, getattr(self, key), minimum=0)
        if self.kl_target > 0 and self.kl_coef == 0:
            raise ValueError(
                f"kl_target={self.kl_target} needs a starting kl_coef > 0 (the adaptive controller "
                "scales the coefficient; from 0 it stays 0)"
            )
        check_number("gamma", self.gamma, minimum=0, maximum=1)
        check_number("lam", self.lam, minimum=0, maximum=1)


class KLController:
    """The KL coefficient: fixed, or TRL's ``AdaptiveKLController`` (Ziegler et al. 2019).

    After each batch the adaptive controller multiplies the coefficient by
    ``1 + clip(kl / target - 1, -0.2, 0.2) * samples / horizon``, where ``kl`` is the batch's mean
    KL of a response (summed over its tokens) measured before the update.
    """

    def __init__(self, config: ValuePPOConfig):
        self.value, self.target, self.horizon = config.kl_coef, config.kl_target, config.kl_horizon

    def update(self, kl: float, samples: int) -> None:
        if self.target > 0:
            error = min(max(kl / self.target - 1, -0.2), 0.2)
            self.value *= 1 + error * samples / self.horizon


class ValueHead(nn.Module):
    """A scalar value per position from the model's last hidden state (TRL's ``ValueHead``)."""

    def __init__(self, hidden_size: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.summary = nn.Linear(hidden_size, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.summary(self.dropout(hidden)).squeeze(-1)


@dataclass
class Batch:
    """Samples padded on the right: ids, attention, and the response mask (1 on response tokens)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    response_mask: torch.Tensor
    scores: torch.Tensor


def make_batch(samples: list[tuple], pad_id: int) -> Batch:
    """Samples (query, response, score[, response mask]) padded on the right."""
    from learners.clm import clm_batch

    padded = clm_batch([sample[0] + sample[1] for sample in samples], pad_id, "cpu")
    response = torch.zeros(padded["input_ids"].shape, dtype=torch.float)
    for row, (query, answer, _, *mask) in enumerate(samples):
        written = torch.tensor(mask[0], dtype=torch.float) if mask else 1.0
        response[row, len(query) : len(query) + len(answer)] = written
    scores = torch.tensor([sample[2] for sample in samples], dtype=torch.float)
    return Batch(padded["input_ids"], padded["attention_mask"], response, scores)


def forward(model, head: ValueHead, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities of each next token and the values, both aligned to the token predicted.

    Position ``t`` of the results is about token ``t + 1``: its log-probability given the tokens
    before it, and the value of the state before it (TRL's alignment). The response mask shifted
    the same way (``batch.response_mask[:, 1:]``) selects the response tokens.
    """
    output = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask, output_hidden_states=True)
    logits = output.logits[:, :-1].float()
    logprobs = torch.log_softmax(logits, dim=-1).gather(-1, batch.input_ids[:, 1:, None])[..., 0]
    values = head(output.hidden_states[-1][:, :-1].float())
    return logprobs, values


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mean = masked_mean(x, mask)
    variance = masked_mean((x - mean) ** 2, mask)
    return (x - mean) * torch.rsqrt(variance + 1e-8)


def token_rewards(scores: torch.Tensor, mask: torch.Tensor, kl: torch.Tensor, kl_coef: float) -> torch.Tensor:
    """``-kl_coef * kl`` on every response token, plus the score on each row's last one."""
    rewards = -kl_coef * kl * mask
    last = (mask.cumsum(dim=1) == mask.sum(dim=1, keepdim=True)) & (mask > 0)
    return rewards + last.float() * scores[:, None]


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates and returns over the masked (response) positions.

    Masked-out positions are skipped: they contribute no reward and no value, and a position
    bootstraps from the value of the next masked-in one, so a gap inside a response (a tool's
    answer) is stepped over and a response's last token bootstraps from 0 (the episode ends there).
    """
    values = values * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0])
    next_value = torch.zeros(rewards.shape[0])
    for t in reversed(range(rewards.shape[1])):
        inside = mask[:, t] > 0
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = torch.where(inside, delta + gamma * lam * running, running)
        next_value = torch.where(inside, values[:, t], next_value)
        advantages[:, t] = running * mask[:, t]
    return advantages, advantages + values


def ppo_losses(
    logprobs, values, old_logprobs, old_values, advantages, returns, mask, config: ValuePPOConfig
) -> tuple[torch.Tensor, dict[str, float]]:
    """TRL 0.7's loss: clipped policy loss + ``vf_coef`` * clipped value loss, and its statistics."""
    clipped_values = torch.clamp(
        values, old_values - config.cliprange_value, old_values + config.cliprange_value
    )
    value_loss = 0.5 * masked_mean(torch.max((values - returns) ** 2, (clipped_values - returns) ** 2), mask)
    ratio = torch.exp(logprobs - old_logprobs)
    policy_losses = torch.max(
        -advantages * ratio, -advantages * torch.clamp(ratio, 1 - config.cliprange, 1 + config.cliprange)
    )
    policy_loss = masked_mean(policy_losses, mask)
    stats = {
        "policy_loss": policy_loss.item(),
        "value_loss": value_loss.item(),
        "clipfrac": masked_mean((torch.abs(ratio - 1) > config.cliprange).float(), mask).item(),
        "approx_kl": masked_mean(0.5 * (logprobs - old_logprobs) ** 2, mask).item(),
    }
    return policy_loss + config.vf_coef * value_loss, stats


def ppo_step(
    model,
    head: ValueHead,
    optimizer: torch.optim.Optimizer,
    samples: list[tuple],
    config: ValuePPOConfig,
    pad_id: int,
    generator: torch.Generator | None = None,
    reference=None,
    scheduler=None,
    kl_controller: KLController | None = None,
) -> dict[str, float]:
    """One PPO update of ``model`` and ``head`` on ``samples``; returns the mean statistics.

    ``reference`` (a frozen copy of the starting model) is needed only with ``kl_coef > 0``;
    ``scheduler`` (a learning-rate scheduler) is stepped after every optimiser step;
    ``kl_controller`` holds the KL coefficient across updates (default: ``config.kl_coef``, fixed).
    """
    kl_controller = kl_controller or KLController(config)
    device = next(model.parameters()).device
    batch = make_batch(samples, pad_id)
    batch = Batch(
        *(t.to(device) for t in (batch.input_ids, batch.attention_mask, batch.response_mask, batch.scores))
    )
    mask = batch.response_mask[:, 1:]
    with torch.no_grad():
        old_logprobs, old_values = forward(model, head, batch)
        kl = torch.zeros_like(old_logprobs)
        if kl_controller.value > 0:
            if reference is None:
                raise ValueError("kl_coef > 0 needs the reference model")
            reference_logprobs, _ = forward(reference, head, batch)
            kl = old_logprobs - reference_logprobs
        kl_coef = kl_controller.value
        rewards = token_rewards(batch.scores, mask, kl, kl_coef)
        advantages, returns = gae(rewards.cpu(), old_values.cpu(), mask.cpu(), config.gamma, config.lam)
        advantages, returns = masked_whiten(advantages, mask.cpu()).to(device), returns.to(device)
    model.train()
    head.train()
    totals: dict[str, float] = {}
    updates = 0
    for _ in range(config.ppo_epochs):
        order = torch.randperm(len(samples), generator=generator)
        for start in range(0, len(samples), config.mini_batch_size):
            rows = order[start : start + config.mini_batch_size].to(device)
            part = Batch(
                batch.input_ids[rows],
                batch.attention_mask[rows],
                batch.response_mask[rows],
                batch.scores[rows],
            )
            logprobs, values = forward(model, head, part)
            loss, stats = ppo_losses(
                logprobs, values, old_logprobs[rows], old_values[rows], advantages[rows], returns[rows],
                mask[rows], config,
            )  # fmt: skip
            optimizer.zero_grad()
            loss.backward()
            params = [p for group in optimizer.param_groups for p in group["params"]]
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            for key, value in stats.items():
                totals[key] = totals.get(key, 0.0) + value
            updates += 1
    sequence_kl = (kl * mask).sum(dim=1).mean().item()
    kl_controller.update(sequence_kl, len(samples))
    return {**{key: value / updates for key, value in totals.items()}, "kl": sequence_kl, "kl_coef": kl_coef}
