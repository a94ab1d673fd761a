"""The SFT learner: learns the oracle's answers, masks the loss, logs, resumes exactly."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

import envs  # noqa: F401
from agents.evaluate import play
from agents.lm_agent import LMAgent
from agents.model import build_model
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers import assistant_only_examples
from agents.tokenizers.memory import build_memory_tokenizer
from learners.sft import train_sft
from learners.sft_config import SFTConfig

N_PEOPLE = 6

VOCAB = len(build_memory_tokenizer())


def make_env(mode="in_weight"):
    return lambda: gym.make("toolgym/PeopleMemory-v0", n_people=N_PEOPLE, mode=mode)


def oracle(mode="in_weight"):
    return rollout(
        make_env(mode), OracleAgent(), tasks=[{"task_id": i} for i in range(4 * N_PEOPLE)], num_envs=8
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 16-wide model that memorised 24 in-weight answers."""
    torch.manual_seed(0)
    model, tokenizer = build_model(VOCAB, width=16), build_memory_tokenizer()
    config = SFTConfig(
        learning_rate=1e-2,
        batch_size=8,
        max_steps=300,
        warmup_steps=10,
        weight_decay=0.0,
        logging_steps=50,
        eval_steps=150,
        eval_episodes=8,
        save_steps=1000,
    )
    out = tmp_path_factory.mktemp("sft")
    model = train_sft(
        model, tokenizer, oracle(), config, out, make_eval_env=make_env(), device="cpu", progress=False
    )
    return model, tokenizer, out


def test_sft_learns_the_answers(trained):
    model, tokenizer, out = trained
    episodes = play(model, tokenizer, make_env(), [{"task_id": i} for i in range(4 * N_PEOPLE)])
    assert sum(e.reward for e in episodes) / len(episodes) >= 0.9
    assert (out / "final" / "config.json").exists() and (out / "final" / "tokenizer.json").exists()


def test_tensorboard_has_loss_learning_rate_tokens_and_env_evaluation(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, _, out = trained
    events = EventAccumulator(str(out / "tb"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/learning_rate", "train/train_tokens_per_second"} <= tags
    # The in-training evaluation is the env's generic summary, not a study's own metric.
    assert {"eval/reward", "eval/tool_call_rate", "eval/turns"} <= tags and "eval/recall" not in tags
    assert events.Scalars("eval/reward")[-1].value >= 0.5  # the evaluation plays the trained model


def test_batched_generation_matches_one_at_a_time(trained):
    model, tokenizer, _ = trained
    questions = [[{"role": "user", "content": q}] for q in [e.messages[0]["content"] for e in oracle()[:10]]]
    batched = LMAgent(model, tokenizer, batch_size=64).act(questions, {})
    single = [LMAgent(model, tokenizer, batch_size=1).act([q], {})[0] for q in questions]
    assert batched == single
    assert all(turn.endswith(".") for turn in batched)  # each stopped at its own end of turn


def test_more_conversations_than_a_batch_come_back_in_their_order(trained):
    """The agent sorts conversations by length into batches; each turn still answers its own."""
    model, tokenizer, _ = trained
    episodes = oracle()[:10]
    conversations = []
    for i, episode in enumerate(episodes):
        question = [{"role": "user", "content": episode.messages[0]["content"]}]
        earlier = episodes[i - 1].messages[:2] if i % 2 else []  # a longer prompt every other row
        conversations.append([*earlier, *question])
    batched = LMAgent(model, tokenizer, batch_size=3).act(conversations, {})
    single = [LMAgent(model, tokenizer, batch_size=1).act([c], {})[0] for c in conversations]
    assert batched == single
    assert len(set(batched)) > 1


def test_labels_cover_only_assistant_tokens():
    tokenizer = build_memory_tokenizer()
    (episode,) = rollout(make_env("in_tool"), OracleAgent(), 1)
    (example,) = assistant_only_examples(tokenizer, [episode.messages])
    trained = bytes(t for t in example["labels"] if 0 <= t < 256).decode()
    assert trained == "".join(m["content"] for m in episode.messages if m["role"] == "assistant")
    database_answer = episode.messages[2]["content"]
    assert episode.messages[2]["role"] == "tool" and database_answer in trained  # copied in the answer only
    assert trained.count(database_answer) == 1


def test_resume_ends_where_an_uninterrupted_run_would(tmp_path, stop_at):
    tokenizer = build_memory_tokenizer()
    data = oracle()
    config = SFTConfig(
        learning_rate=5e-3, batch_size=4, max_steps=24, warmup_steps=2, save_steps=8, logging_steps=8
    )

    torch.manual_seed(0)
    whole = train_sft(
        build_model(VOCAB, width=8),
        tokenizer,
        data,
        config,
        tmp_path / "whole",
        device="cpu",
        progress=False,
    )

    torch.manual_seed(0)
    train_sft(
        build_model(VOCAB, width=8),
        tokenizer,
        data,
        config,
        tmp_path / "killed",
        device="cpu",
        progress=False,
        callbacks=[stop_at(16)],
    )  # a run killed after its step-16 checkpoint
    assert (tmp_path / "killed" / "checkpoint-16").exists()
    torch.manual_seed(123)  # a fresh process: the initial weights must come from the checkpoint
    resumed = train_sft(
        build_model(VOCAB, width=8),
        tokenizer,
        data,
        config,
        tmp_path / "killed",
        resume=True,
        device="cpu",
        progress=False,
    )
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6), (name, (a - b).abs().max())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_bf16_training_and_generation(tmp_path):
    torch.manual_seed(0)
    config = SFTConfig(learning_rate=1e-2, batch_size=8, max_steps=20, warmup_steps=2, save_steps=1000)
    model = train_sft(
        build_model(VOCAB, width=16),
        build_memory_tokenizer(),
        oracle(),
        config,
        tmp_path,
        device="cuda",
        progress=False,
    )
    assert model.device.type == "cuda"
    episodes = play(model, build_memory_tokenizer(), make_env(), [{"task_id": i} for i in range(8)])
    assert len(episodes) == 8


def test_precision_is_checked_before_training(tmp_path):
    with pytest.raises(
        ValueError, match="precision='fp16' is not valid; choose one of 'auto', 'fp32', 'bf16'"
    ):
        SFTConfig(precision="fp16")


@pytest.mark.parametrize("precision", ["bf16", "auto"])
def test_cpu_trains_in_bf16_autocast_only_when_asked(tmp_path, precision):
    """``bf16`` on a CPU: the layers compute in bf16, the weights stay fp32, and the model still
    learns; ``auto`` keeps a CPU in fp32."""
    torch.manual_seed(0)
    model, tokenizer = build_model(VOCAB, width=16), build_memory_tokenizer()
    computed = set()
    model.model.layers[0].mlp.down_proj.register_forward_hook(
        lambda module, inputs, output: computed.add(output.dtype) if module.training else None
    )
    config = SFTConfig(
        learning_rate=1e-2, batch_size=8, max_steps=300, warmup_steps=10, weight_decay=0.0,
        save_steps=1000, precision=precision,
    )  # fmt: skip
    model = train_sft(model, tokenizer, oracle(), config, tmp_path, device="cpu", progress=False)
    assert computed == ({torch.bfloat16} if precision == "bf16" else {torch.float32})
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    episodes = play(model, tokenizer, make_env(), [{"task_id": i} for i in range(4 * N_PEOPLE)])
    assert sum(e.reward for e in episodes) / len(episodes) >= 0.9
