"""Tokens/s of the SFT learner against a minimal PyTorch loop, same model and data, one run.

    python bench/sft_trainer_overhead.py [--mode in_tool] [--width 64] [--batch-size 64] [--steps 60]

Three loops train the same freshly built Llama on the oracle's PeopleMemory conversations (1000
people) with assistant-only loss and AdamW, batches bucketed by length and padded to their
longest sequence: a minimal hand-written loop (the floor), the SFT learner (transformers'
``Trainer``, ``learners/sft.py``) and TRL's ``SFTTrainer`` with ``assistant_only_loss=True``.
Tokens/s counts non-padding tokens; the first steps are a warm-up and are not timed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

import gymnasium as gym
import torch
from transformers import TrainerCallback

import envs  # noqa: F401
from agents.model import build_model
from agents.oracle import OracleAgent
from agents.rollout import rollout
from agents.tokenizers.memory import build_memory_tokenizer
from learners.sft import train_sft
from learners.sft_config import SFTConfig

WARMUP = 5


def oracle_data(mode: str):
    make_env = lambda: gym.make("toolgym/PeopleMemory-v0", n_people=1000, mode=mode)  # noqa: E731
    return rollout(make_env, OracleAgent(), tasks=[{"task_id": i} for i in range(4000)], num_envs=64)


def minimal_loop(trajectories, tokenizer, width: int, batch_size: int, steps: int) -> float:
    """A hand-written loop: the floor the trainer's overhead is measured against."""
    torch.manual_seed(0)
    model = build_model(len(build_memory_tokenizer()), width=width)
    encoded = tokenizer.apply_chat_template(
        [t.messages for t in trajectories], tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    examples = sorted(
        zip(encoded["input_ids"], encoded["assistant_masks"], strict=True), key=lambda e: len(e[0])
    )
    batches = [examples[i : i + batch_size] for i in range(0, len(examples), batch_size)]
    random.Random(0).shuffle(batches)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    tokens, start = 0, None
    for step in range(steps + WARMUP):
        if step == WARMUP:
            tokens, start = 0, time.perf_counter()
        batch = batches[step % len(batches)]
        width_ = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width_), tokenizer.pad_token_id)
        labels = torch.full((len(batch), width_), -100)
        attention = torch.zeros((len(batch), width_), dtype=torch.long)
        for row, (ids, mask) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
            labels[row, : len(ids)] = torch.where(torch.tensor(mask) == 1, torch.tensor(ids), -100)
        loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        tokens += int(attention.sum())
    return tokens / (time.perf_counter() - start)


class _Throughput(TrainerCallback):
    """Tokens/s between the end of the warm-up and the end of training."""

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == WARMUP:
            self.start, self.tokens = time.perf_counter(), state.num_input_tokens_seen

    def on_train_end(self, args, state, control, **kwargs):
        self.rate = (state.num_input_tokens_seen - self.tokens) / (time.perf_counter() - self.start)


def trainer_loop(trajectories, tokenizer, width: int, batch_size: int, steps: int) -> float:
    torch.manual_seed(0)
    model = build_model(len(build_memory_tokenizer()), width=width)
    config = SFTConfig(
        batch_size=batch_size,
        max_steps=steps + WARMUP,
        logging_steps=steps + WARMUP,
        save_steps=10**9,
        warmup_steps=0,
    )
    throughput = _Throughput()
    with tempfile.TemporaryDirectory() as folder:
        train_sft(
            model,
            tokenizer,
            trajectories,
            config,
            folder,
            device="cpu",
            progress=False,
            callbacks=[throughput],
        )
    return throughput.rate


def trl_loop(trajectories, tokenizer, width: int, batch_size: int, steps: int) -> float:
    from datasets import Dataset
    from trl import SFTConfig as TRLConfig
    from trl import SFTTrainer

    torch.manual_seed(0)
    model = build_model(len(build_memory_tokenizer()), width=width)
    dataset = Dataset.from_list(
        [
            {"messages": [{"role": m["role"], "content": m["content"]} for m in t.messages]}
            for t in trajectories
        ]
    )
    throughput = _Throughput()
    with tempfile.TemporaryDirectory() as folder:
        args = TRLConfig(
            output_dir=folder,
            per_device_train_batch_size=batch_size,
            max_steps=steps + WARMUP,
            assistant_only_loss=True,
            use_cpu=True,
            report_to=[],
            disable_tqdm=True,
            include_num_input_tokens_seen="non_padding",
            train_sampling_strategy="group_by_length",
            save_steps=10**9,
            logging_steps=steps + WARMUP,
            bf16=False,  # TRL defaults to bf16, which this CPU runs 10x slower than fp32
        )
        SFTTrainer(
            model=model, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=[throughput]
        ).train()
    return throughput.rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", default="in_tool", choices=["in_tool", "in_weight"])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    tokenizer = build_memory_tokenizer()
    data = oracle_data(args.mode)
    floor = minimal_loop(data, tokenizer, args.width, args.batch_size, args.steps)
    trainer = trainer_loop(data, tokenizer, args.width, args.batch_size, args.steps)
    trl = trl_loop(data, tokenizer, args.width, args.batch_size, args.steps)
    threads = torch.get_num_threads()
    print(
        f"{args.mode}, width {args.width}, batch {args.batch_size}, "
        f"{args.steps} timed steps, {threads} threads"
    )
    print(f"{'loop':<38}{'tokens/s':>10}{'x minimal':>11}")
    for label, rate in (
        ("minimal PyTorch loop", floor),
        ("SFT learner (transformers Trainer)", trainer),
        ("TRL SFTTrainer, assistant_only_loss", trl),
    ):
        print(f"{label:<38}{rate:>10,.0f}{rate / floor:>11.2f}")


if __name__ == "__main__":
    main()
