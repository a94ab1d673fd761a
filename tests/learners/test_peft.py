"""PEFT as an option of the SFT learner: LoRA adapters train, save and resume; chosen embedding
rows train alone; QLoRA on a 4-bit base model (CUDA only)."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch
from safetensors.torch import load_file

import envs  # noqa: F401
from agents.model import build_model, load_model
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers.memory import build_memory_tokenizer
from learners.sft import train_sft
from learners.sft_config import PeftOptions, SFTConfig

TOKENIZER = build_memory_tokenizer()
VOCAB = len(TOKENIZER)


@pytest.fixture(scope="module")
def data():
    make_env = lambda: gym.make("toolgym/PeopleMemory-v0", n_people=4, mode="in_tool")  # noqa: E731
    return rollout(make_env, OracleAgent(), tasks=[{"task_id": i} for i in range(16)], num_envs=8)


def base_model():
    torch.manual_seed(0)  # the same base weights in every run: a checkpoint holds the adapter only
    return build_model(VOCAB, width=16)


def config(**peft) -> SFTConfig:
    return SFTConfig(
        learning_rate=1e-2, batch_size=4, max_steps=12, warmup_steps=2, save_steps=6, logging_steps=6,
        peft=PeftOptions(r=4, target_modules=["q_proj", "v_proj"], **peft),
    )  # fmt: skip


def train(data, out, options, **kwargs):
    return train_sft(base_model(), TOKENIZER, data, options, out, device="cpu", progress=False, **kwargs)


def test_lora_trains_saves_its_adapter_and_resumes_exactly(tmp_path, data, stop_at):
    untrained = {k: v.clone() for k, v in base_model().state_dict().items()}
    whole = train(data, tmp_path / "whole", config())
    adapter = load_file(tmp_path / "whole" / "final" / "adapter_model.safetensors")
    assert adapter and all("lora_" in name for name in adapter)
    assert not (tmp_path / "whole" / "final" / "model.safetensors").exists()  # the adapter only
    lora_b = [v for k, v in adapter.items() if "lora_B" in k]
    assert any(v.abs().sum() > 0 for v in lora_b)  # B starts at zero: it moved, so the adapter trained
    frozen = {
        name.replace(".base_layer", ""): value
        for name, value in whole.get_base_model().state_dict().items()
        if "lora_" not in name
    }
    assert frozen.keys() == untrained.keys()
    assert all(torch.equal(frozen[name], value) for name, value in untrained.items())  # base not moved

    train(data, tmp_path / "killed", config(), callbacks=[stop_at(6)])
    assert (tmp_path / "killed" / "checkpoint-6" / "adapter_model.safetensors").exists()
    train(data, tmp_path / "killed", config(), resume=True)
    resumed = load_file(tmp_path / "killed" / "final" / "adapter_model.safetensors")
    assert resumed.keys() == adapter.keys()
    for name, value in adapter.items():
        assert torch.allclose(value, resumed[name], atol=1e-6), name


def test_trainable_token_indices_train_only_those_embedding_rows(tmp_path, data):
    rows = [256, 258]  # two role tokens
    before = base_model().get_input_embeddings().weight.detach().clone()
    model = train(data, tmp_path, config(trainable_token_indices=rows))
    with torch.no_grad():
        after = model.get_input_embeddings()(torch.arange(VOCAB))
    changed = sorted(int(i) for i in torch.nonzero((after - before).abs().sum(dim=1) > 0))
    assert changed == rows


def test_qlora_on_cpu_fails_at_once(tmp_path, data):
    with pytest.raises(ValueError, match=r"peft.load_in_4bit \(QLoRA\) needs a CUDA device"):
        train(data, tmp_path, config(load_in_4bit=True))


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU path")
def test_loading_4bit_without_cuda_is_a_clear_error(tmp_path):
    base_model().save_pretrained(tmp_path)
    TOKENIZER.save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="needs a CUDA device"):
        load_model(tmp_path, load_in_4bit=True)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_qlora_trains_a_4bit_model(tmp_path, data):
    pytest.importorskip("bitsandbytes")
    base_model().save_pretrained(tmp_path / "base")
    TOKENIZER.save_pretrained(tmp_path / "base")
    model, tokenizer = load_model(tmp_path / "base", load_in_4bit=True)
    assert model.is_loaded_in_4bit
    model = train_sft(
        model, tokenizer, data, config(load_in_4bit=True), tmp_path / "out", device="cuda", progress=False
    )
    adapter = load_file(tmp_path / "out" / "final" / "adapter_model.safetensors")
    assert any(v.abs().sum() > 0 for k, v in adapter.items() if "lora_B" in k)


def test_peft_options_are_checked():
    with pytest.raises(ValueError, match=r"peft.r=0 is not valid; it must be >= 1"):
        PeftOptions(r=0)
    with pytest.raises(ValueError, match=r"peft.trainable_token_indices=-1 is not valid; it must be >= 0"):
        PeftOptions(trainable_token_indices=[-1])
    assert SFTConfig(peft={"r": 4}).peft == PeftOptions(r=4)  # as --set or a JSON file gives it
