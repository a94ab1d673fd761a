"""PPO with a value head and GAE (TRL 0.7's algorithm), on a tiny Llama."""

from __future__ import annotations

import pytest
import torch

from agents.model import build_model
from learners.value_ppo import (
    KLController,
    ValueHead,
    ValuePPOConfig,
    gae,
    masked_whiten,
    ppo_step,
    token_rewards,
)


def test_gae_matches_the_recursion_by_hand():
    rewards = torch.tensor([[0.0, 0.0, 1.0, 0.0]])
    values = torch.tensor([[0.5, 0.2, 0.4, 9.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])  # the last position is padding: no value, no reward
    advantages, returns = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    d2 = 1.0 - 0.4  # last response token: bootstraps from 0
    d1 = 0.0 + 0.9 * 0.4 - 0.2
    d0 = 0.0 + 0.9 * 0.2 - 0.5
    a2 = d2
    a1 = d1 + 0.9 * 0.8 * a2
    a0 = d0 + 0.9 * 0.8 * a1
    assert advantages[0, :3].tolist() == pytest.approx([a0, a1, a2])
    assert advantages[0, 3] == 0
    assert returns[0, :3].tolist() == pytest.approx([a0 + 0.5, a1 + 0.2, a2 + 0.4])


def test_the_score_lands_on_the_last_response_token_and_kl_on_every_one():
    mask = torch.tensor([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    kl = torch.ones(2, 4)
    rewards = token_rewards(torch.tensor([2.0, -1.0]), mask, kl, kl_coef=0.1)
    assert torch.allclose(rewards, torch.tensor([[0.0, -0.1, 1.9, 0.0], [-1.1, 0.0, 0.0, 0.0]]))


def test_whitening_uses_only_masked_positions():
    x = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    white = masked_whiten(x, mask)
    assert white[0, :3].mean().item() == pytest.approx(0.0, abs=1e-6)


def _policy():
    torch.manual_seed(0)
    model = build_model(12, layers=1, heads=2, width=16)
    return model, ValueHead(16)


def test_a_rewarded_response_becomes_more_likely_and_a_punished_one_less():
    model, head = _policy()
    optimizer = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=1e-2)
    good, bad = [3, 4, 5], [6, 7, 8]
    samples = [([1, 2], good, 1.0), ([1, 2], bad, -1.0)] * 4
    config = ValuePPOConfig(learning_rate=1e-2, mini_batch_size=4, ppo_epochs=2)

    def logprob(response):
        ids = torch.tensor([[1, 2, *response]])
        logits = model(input_ids=ids).logits[0, 1:-1]
        return torch.log_softmax(logits, -1).gather(-1, torch.tensor(response)[:, None]).sum().item()

    before = logprob(good) - logprob(bad)
    for _ in range(5):
        stats = ppo_step(model, head, optimizer, samples, config, pad_id=0)
    assert logprob(good) - logprob(bad) > before + 1.0
    assert {"policy_loss", "value_loss", "clipfrac", "approx_kl"} <= set(stats)


def test_kl_penalty_needs_a_reference_model():
    model, head = _policy()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    with pytest.raises(ValueError, match="reference"):
        ppo_step(model, head, optimizer, [([1], [2], 1.0)], ValuePPOConfig(kl_coef=0.1), pad_id=0)


@pytest.mark.parametrize(("key", "value"), [("vf_coef", -1.0), ("lam", 1.5), ("mini_batch_size", 0)])
def test_bad_options_name_the_key(key, value):
    with pytest.raises(ValueError, match=key):
        ValuePPOConfig(**{key: value})


def test_gae_steps_over_a_gap_the_model_did_not_write():
    # A tool's answer (positions 1-2) inside a response: GAE over the model's tokens alone.
    rewards = torch.tensor([[0.0, 0.0, 0.0, 0.5, 1.0]])
    values = torch.tensor([[0.3, 7.0, 7.0, 0.6, 0.2]])
    mask = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0]])
    advantages, returns = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    without_gap, gap_returns = gae(
        rewards[:, [0, 3, 4]], values[:, [0, 3, 4]], torch.ones(1, 3), gamma=0.9, lam=0.8
    )
    assert advantages[0, [0, 3, 4]].tolist() == pytest.approx(without_gap[0].tolist())
    assert returns[0, [0, 3, 4]].tolist() == pytest.approx(gap_returns[0].tolist())
    assert advantages[0, 1:3].tolist() == [0.0, 0.0]


def test_tokens_the_policy_did_not_write_are_not_trained():
    model, head = _policy()
    optimizer = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=1e-2, weight_decay=0.0)
    before = [p.detach().clone() for p in model.parameters()]
    config = ValuePPOConfig(learning_rate=1e-2, mini_batch_size=2)
    # Every response token masked out: no policy loss, no value loss, nothing moves.
    ppo_step(model, head, optimizer, [([1, 2], [3, 4, 5], 1.0, [0, 0, 0])] * 2, config, pad_id=0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    ppo_step(model, head, optimizer, [([1, 2], [3, 4, 5], 1.0, [1, 0, 1]), ([1, 2], [6], -1.0)], config, 0)
    assert not all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_adaptive_kl_moves_the_coefficient_towards_the_target():
    config = ValuePPOConfig(kl_coef=0.2, kl_target=6.0, kl_horizon=100)
    high, low, fixed = KLController(config), KLController(config), KLController(ValuePPOConfig(kl_coef=0.2))
    high.update(60.0, samples=10)  # far above the target: the error is clipped at +0.2
    low.update(3.0, samples=10)
    fixed.update(60.0, samples=10)
    assert high.value == pytest.approx(0.2 * (1 + 0.2 * 10 / 100))
    assert low.value == pytest.approx(0.2 * (1 - 0.2 * 10 / 100))
    assert fixed.value == 0.2


def test_kl_penalty_is_measured_and_its_coefficient_reported():
    model, head = _policy()
    reference = build_model(12, layers=1, heads=2, width=16).requires_grad_(False)
    optimizer = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=1e-3)
    config = ValuePPOConfig(kl_coef=0.1, kl_target=1.0, kl_horizon=10)
    controller = KLController(config)
    stats = ppo_step(
        model, head, optimizer, [([1, 2], [3, 4], 1.0)] * 2, config, 0, reference=reference,
        kl_controller=controller,
    )  # fmt: skip
    assert stats["kl_coef"] == 0.1 and stats["kl"] != 0
    assert controller.value != 0.1  # updated from the measured KL


def test_an_adaptive_target_needs_a_starting_coefficient():
    with pytest.raises(ValueError, match=r"kl_target=6\.0 needs a starting kl_coef > 0"):
        ValuePPOConfig(kl_target=6.0)
