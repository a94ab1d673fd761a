"""The export: recorded episodes load as a Hugging Face dataset that TRL's SFTTrainer trains on."""

from __future__ import annotations

import gymnasium as gym
import pytest

import envs  # noqa: F401
from agents.oracle import OracleAgent
from agents.rollout import rollout
from envs.export import export_dataset, main
from learners.common import quiet_library_warnings


@pytest.fixture
def run_folder(tmp_path):
    folder = tmp_path / "run"
    path = folder / "trajectories" / "eval.jsonl"
    rollout(lambda: gym.make("toolgym/PeopleMemory-v0", n_people=10), OracleAgent(), 4, path=path)
    rollout(lambda: gym.make("toolgym/Calculator-v0"), OracleAgent(), 2, path=path, tags={"split": "eval"})
    return folder


def test_export_loads_with_tool_calls_as_mappings(run_folder, tmp_path):
    from datasets import load_from_disk

    assert main([str(run_folder), "--out", str(tmp_path / "ds")]) == 0
    dataset = load_from_disk(str(tmp_path / "ds"))
    assert len(dataset) == 6 and set(dataset["env_id"]) == {
        "toolgym/PeopleMemory-v0",
        "toolgym/Calculator-v0",
    }
    memory, calculator = dataset[0], dataset[4]
    assert memory["messages"][1]["tool_calls"][0]["function"]["arguments"]["query"].startswith("FIND ")
    assert memory["messages"][2]["tool_call_id"] == memory["messages"][1]["tool_calls"][0]["id"]
    assert calculator["messages"][1]["tool_calls"][0]["function"]["arguments"].keys() == {"expression"}
    assert calculator["tools"][0]["function"]["name"] == "SimpleCalculatorTool"
    assert memory["scores"] == {"correct": 1.0} and memory["reward"] == 1.0 and memory["seed"] == 0


def test_missing_input_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope"), "--out", str(tmp_path / "ds")]) == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match="nope"):
        export_dataset(tmp_path / "nope")


def test_sft_trainer_takes_one_step_on_the_export(run_folder, tmp_path):
    from trl import SFTConfig, SFTTrainer

    from agents.model import build_model
    from agents.tokenizers.memory import build_memory_tokenizer

    dataset = export_dataset(run_folder, tmp_path / "ds").filter(
        lambda row: row["env_id"].endswith("Memory-v0")
    )
    tokenizer = build_memory_tokenizer()
    model = build_model(len(tokenizer), layers=1, heads=2, width=16)
    with quiet_library_warnings():  # TRL's config calls transformers' renamed options
        config = SFTConfig(
            output_dir=str(tmp_path / "sft"),
            max_steps=1,
            per_device_train_batch_size=2,
            report_to=[],
            use_cpu=True,
            save_strategy="no",
            max_length=256,
        )
    trainer = SFTTrainer(model=model, args=config, train_dataset=dataset, processing_class=tokenizer)
    result = trainer.train()
    assert result.global_step == 1 and result.training_loss > 0
