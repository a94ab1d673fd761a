"""Seconds per SFT step in fp32 and in bf16 autocast on a CPU, the TinyAgent cpu profile's model.

    python bench/bf16_training.py [--steps 60] [--width 128] [--layers 3]

The SFT learner (``learners.sft.train_sft``) trains the same from-scratch Llama (the same
initial weights) on the same oracle plan turns of TinyAgentPlanner-v0 (the ``noisy`` prompts, 16
conversations a step), once with ``precision="fp32"`` and once with ``"bf16"``, twice each,
alternating, in this process. Prints the trainer's seconds per step for each, the speed-up, and
each run's mean training loss (bf16 must learn as fp32 does). bf16 is fast only on CPUs with
bf16 instructions (AVX-512 BF16, AMX); elsewhere it is emulated and slower.
"""

from __future__ import annotations

import argparse
import copy
import tempfile

import torch
from transformers import TrainerCallback

from agents.model import build_model
from agents.tokenizers.tinyagent import build_tinyagent_tokenizer
from learners.sft import train_sft
from learners.sft_config import SFTConfig
from scenarios.tinyagent.corpus import pretraining_conversations
from scenarios.tinyagent.steps import oracle_conversations


class LastLog(TrainerCallback):
    """Keeps the trainer's last log: its ``train_runtime`` and mean ``train_loss``."""

    def on_train_end(self, args, state, control, **kwargs):
        self.log = state.log_history[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--layers", type=int, default=3)
    args = parser.parse_args()
    texts = [m["content"] for c in pretraining_conversations(300) for m in c]
    tokenizer = build_tinyagent_tokenizer(texts, 2048)
    data = oracle_conversations("train", range(16 * args.steps), describe="noisy")
    for episode in data:  # the plan turn only, as most of the profile's LoRA samples
        episode.messages = episode.messages[:2]
    torch.manual_seed(0)
    start = build_model(len(tokenizer), args.layers, 4, args.width, max_length=2048, tie_embeddings=True)
    seconds: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for precision in ("fp32", "bf16", "fp32", "bf16"):
        config = SFTConfig(
            learning_rate=3e-3, batch_size=16, max_steps=args.steps, warmup_steps=5, weight_decay=0.0,
            save_steps=10**6, logging_steps=args.steps, precision=precision,
        )  # fmt: skip
        summary = LastLog()
        with tempfile.TemporaryDirectory() as out:
            train_sft(
                copy.deepcopy(start), tokenizer, data, config, out, device="cpu", progress=False,
                callbacks=[summary],
            )  # fmt: skip
        per_step = summary.log["train_runtime"] / args.steps
        seconds[precision].append(per_step)
        print(f"{precision}: {per_step:.3f} s/step, mean loss {summary.log['train_loss']:.3f}", flush=True)
    fp32, bf16 = min(seconds["fp32"]), min(seconds["bf16"])
    print(f"best of two: fp32 {fp32:.3f} s/step, bf16 {bf16:.3f} s/step, {fp32 / bf16:.2f}x")


if __name__ == "__main__":
    main()
