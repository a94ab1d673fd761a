"""What every learner shares: device and precision, processes, trainer options, save and resume.

Processes are accelerate's (``PartialState``): under ``accelerate launch`` each process trains its
share of a batch and only the main one writes files and evaluates; a plain ``python`` run is one
process.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from envs.checks import check_choice

DEVICES = ("cpu", "cuda", "auto")
PRECISIONS = ("auto", "fp32", "bf16")


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda``: ``auto`` is cuda when a CUDA device is available."""
    import torch

    check_choice("device", device, DEVICES)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but no CUDA device is available")
    return device


def use_bf16(precision: str, device: str) -> bool:
    """Whether to train in bf16 autocast (weights and optimiser state stay fp32): ``auto`` on CUDA
    devices that support it, ``bf16`` on those and on CPUs, never ``fp32``.

    On a CPU, ``auto`` keeps fp32: bf16 is fast only where the CPU has bf16 instructions
    (AVX-512 BF16 or AMX: 1.2x per SFT step of a width-128 model, docs/benchmarks.md) and is emulated, slower,
    elsewhere, so a CPU run asks for it by name.
    """
    import torch

    check_choice("precision", precision, PRECISIONS)
    if device == "cpu":
        return precision == "bf16"
    supported = torch.cuda.is_bf16_supported()
    if precision == "bf16" and not supported:
        raise ValueError(f"precision='bf16' needs a CUDA device with bf16 support (device is {device!r})")
    return supported and precision != "fp32"


def processes():
    """accelerate's process state (``PartialState``), started with a two-day timeout on collective
    operations: under ``accelerate launch`` the first process may train a cached stage (a teacher)
    for hours while the others wait at a barrier, where torch's default timeout (10 to 30
    minutes) would stop them. Without CUDA, processes started by ``torchrun`` train on CPU over
    gloo (accelerate counts them only when told ``cpu``). The first call sets it; later calls
    share it."""
    from datetime import timedelta

    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available(), timeout=timedelta(days=2))


def world_size() -> int:
    """Processes training together (1 outside ``accelerate launch``)."""
    return processes().num_processes


def is_main_process() -> bool:
    """Whether this is the process that writes files and evaluates."""
    return processes().is_main_process


def process_index() -> int:
    """This process's rank (0 outside ``accelerate launch``)."""
    return processes().process_index


def wait_for_everyone() -> None:
    """Block until every process reaches this point (nothing to wait for in one process)."""
    processes().wait_for_everyone()


def data_parallel(*modules):
    """The modules wrapped for data-parallel training under ``accelerate launch`` (PyTorch DDP,
    through accelerate: gradients are averaged over the processes in ``backward``); the modules
    themselves in a single process. Forward and backward go through the wrappers; generation,
    evaluation and saving use the modules (the wrappers share their parameters)."""
    if world_size() == 1:
        return modules
    from accelerate import Accelerator

    accelerator = Accelerator()
    return tuple(accelerator.prepare_model(module) for module in modules)


def trainer_options(config, output_dir: Path, device: str, progress: bool) -> dict[str, Any]:
    """The ``TrainingArguments`` (and TRL ``GRPOConfig``) options both learners set the same way.

    ``config`` is a learner's config: it has ``learning_rate``, ``max_steps``, ``warmup_steps``,
    ``max_grad_norm``, ``logging_steps``, ``save_steps``, ``save_total_limit``, ``seed`` and
    ``precision``.
    """
    return dict(
        output_dir=str(output_dir),
        learning_rate=config.learning_rate,
        max_steps=config.max_steps,
        warmup_steps=config.warmup_steps,
        max_grad_norm=config.max_grad_norm,
        logging_steps=config.logging_steps,
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=device == "cpu",
        bf16=use_bf16(config.precision, device),
        report_to=[],
        disable_tqdm=not progress,
        remove_unused_columns=False,  # the learners' batches carry their own columns
    )


def train_and_save(trainer, tokenizer, config, output_dir: Path, writer, resume: bool):
    """Run ``trainer`` (from the last checkpoint in ``output_dir`` when resuming), save the model
    and tokenizer to ``output_dir/final``, and return the model; the learners' common ending.

    A PEFT model saves its adapter only (``save_pretrained`` of a ``PeftModel``).
    """
    writer.add_text("hyperparameters", markdown_table(vars(config)))
    checkpoint = resume and last_checkpoint(output_dir)
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_model(str(output_dir / "final"))
    tokenizer.save_pretrained(str(output_dir / "final"))
    writer.close()
    return trainer.model


def last_checkpoint(output_dir: Path) -> Path | None:
    """The newest ``checkpoint-*`` folder in ``output_dir``, or None."""
    from transformers.trainer_utils import get_last_checkpoint

    if not output_dir.is_dir():
        return None
    last = get_last_checkpoint(str(output_dir))
    return Path(last) if last else None


def markdown_table(values: dict[str, Any]) -> str:
    """A two-column markdown table of the options (TensorBoard's text tab renders it)."""
    rows = "\n".join(f"|{key}|{value}|" for key, value in values.items())
    return f"|param|value|\n|-|-|\n{rows}"


@contextmanager
def quiet_library_warnings():
    """Silence, by message, the warnings TRL, PEFT and transformers print in every run that a user
    can do nothing about: TRL 1.16 and PEFT call transformers' renamed gradient-checkpointing
    methods (FutureWarnings from transformers), and TRL warns that ``rollout_func`` is
    experimental (the PPO learner is built on it on purpose). Every other warning still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"`(is_)?gradient_checkpointing\w*` is deprecated", category=FutureWarning
        )
        warnings.filterwarnings("ignore", message="You are using 'rollout_func'", category=UserWarning)
        yield
