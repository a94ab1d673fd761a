"""The TnD study: does a student learn words earlier from trials and demonstrations than from CLM alone?

Ma et al. 2024 ("Babysit a language model from scratch") on a 2-core CPU, in four stages, the
first two cached by their settings:

1. **Teacher**: a from-scratch LM trained by CLM on the training utterances, checkpoints on a
   log-spaced schedule (:func:`learners.clm.train_clm`).
2. **Reward model**: each checkpoint continues the same prompts; a regression model learns the
   log step from the text (:mod:`learners.age_model`); its correlation on held-out prompts is
   reported.
3. **Students**: each variant (TnD, CLM, trial only, demo only, and optionally double-CLM) from
   the same initialisation per seed (:mod:`learners.tnd`), RL prompts from the training split,
   demonstrations the final teacher's continuations (cached per prompt).
4. **Evaluation**: per-word surprisal on evaluation contexts (utterances held out from every
   stage) at log-spaced steps, double-sigmoid fits, nAoA@.5 and nAoA@[.5:.95] per word, their
   means per run and the spread over seeds, effective vocabulary over steps.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.model import check_width
from envs.checks import check_choice, check_int
from envs.teacher_demo.corpus import VERSION as CORPUS_VERSION
from envs.teacher_demo.corpus import CorpusConfig
from learners.tnd_config import VARIANTS, TnDConfig
from learners.value_ppo import ValuePPOConfig

PAPER_VARIANTS = ("tnd", "clm", "trial", "demo")


@dataclass
class ModelShape:
    """A from-scratch Llama decoder's shape."""

    width: int = 64
    """Hidden size."""
    layers: int = 2
    """Decoder layers."""
    heads: int = 2
    """Attention heads."""

    def __post_init__(self) -> None:
        for key in ("width", "layers", "heads"):
            check_int(key, getattr(self, key), minimum=1)
        check_width("width", self.width, self.heads)


@dataclass
class TeacherConfig:
    """Stage 1: the teacher's CLM pre-training and its checkpoints."""

    shape: ModelShape = field(default_factory=lambda: ModelShape(width=128, layers=3, heads=4))
    """The teacher's size."""
    max_steps: int = 3000
    """CLM steps (the paper's 100k)."""
    batch_size: int = 64
    """Utterances per step."""
    learning_rate: float = 2e-3
    """Peak AdamW learning rate."""
    warmup_steps: int = 100
    """Linear warm-up steps."""
    checkpoints: int = 30
    """Log-spaced checkpoints the reward model learns ages from (the paper's 100+)."""

    def __post_init__(self) -> None:
        for key in ("max_steps", "batch_size", "checkpoints"):
            check_int(key, getattr(self, key), minimum=1)
        check_int("warmup_steps", self.warmup_steps, minimum=0)


@dataclass
class RewardConfig:
    """Stage 2: the age predictor (the paper's LLaMA-2-7B with a regression head)."""

    shape: ModelShape = field(default_factory=ModelShape)
    """The regression model's size."""
    prompts: int = 300
    """Prompts each teacher checkpoint continues (the paper's 25,000); a tenth are held out."""
    max_steps: int = 800
    """Regression steps."""
    batch_size: int = 64
    """Texts per step."""
    learning_rate: float = 1e-3
    """AdamW learning rate."""

    def __post_init__(self) -> None:
        for key in ("prompts", "max_steps", "batch_size"):
            check_int(key, getattr(self, key), minimum=1)
        if self.prompts < 10:
            raise ValueError(f"prompts={self.prompts} is not valid; it must be >= 10 (a tenth is held out)")


def _student_cpu() -> TnDConfig:
    return TnDConfig(ppo=ValuePPOConfig(learning_rate=3e-4, mini_batch_size=16))


@dataclass
class TnDStudyConfig:
    """A run of the ``tnd`` study; the defaults are the CPU profile's settings."""

    variants: list[str] = field(default_factory=lambda: list(PAPER_VARIANTS))
    """Student variants compared (``tnd``, ``clm``, ``trial``, ``demo``, ``double_clm``)."""
    seeds: int = 3
    """Students per variant (seeds 0..seeds-1); the paper's 5."""
    text: str | None = None
    """A BabyLM-style ``.txt`` file or folder (one utterance per line) instead of the generated corpus."""
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    """The generated child-directed speech (its ``eval_share`` also splits a ``text`` corpus)."""
    max_vocab: int = 4096
    """Word vocabulary of the tokenizer (rarer words are ``<unk>``)."""
    prompt_words: int = 5
    """Words of an utterance the trials and demonstrations continue (the paper's 5 tokens)."""
    prompt_pool: int = 4000
    """Training utterances the RL prompts are drawn from (each with a cached demonstration)."""
    min_contexts: int = 100
    """Evaluation contexts a word needs to be tracked (the paper's 100)."""
    max_contexts: int = 256
    """Contexts kept per word (the paper's 512)."""
    common_words: int = 300
    """Size of the common-word set (the paper's 309)."""
    masked_teacher_words: int = 0
    """CDI words the teacher may never write (the paper's 40; 0: none), their nAoA reported apart."""
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    """Stage 1."""
    reward: RewardConfig = field(default_factory=RewardConfig)
    """Stage 2."""
    student: ModelShape = field(default_factory=ModelShape)
    """The students' size."""
    tnd: TnDConfig = field(default_factory=_student_cpu)
    """The learner (its ``variant`` and ``seed`` are set per run)."""
    eval_points: int = 30
    """Log-spaced steps the curves are read at."""
    cache: str = "runs/cache"
    """Folder of cached teachers and reward models."""
    progress: bool = True
    """Show progress bars."""

    def __post_init__(self) -> None:
        if not isinstance(self.variants, list) or not self.variants:
            raise ValueError(f"variants={self.variants!r} is not valid; give a list of {', '.join(VARIANTS)}")
        for variant in self.variants:
            check_choice("variants", variant, VARIANTS)
        for key in (
            "seeds",
            "max_vocab",
            "prompt_words",
            "prompt_pool",
            "min_contexts",
            "max_contexts",
            "common_words",
            "eval_points",
        ):
            check_int(key, getattr(self, key), minimum=1)
        check_int("masked_teacher_words", self.masked_teacher_words, minimum=0)
        if self.text is not None and not Path(self.text).exists():
            raise ValueError(f"text={self.text!r} is not valid; no such file or folder")


def cpu_profile() -> TnDStudyConfig:
    """Settings for a 2-core CPU: the four variants at 3 seeds, teacher and reward model included."""
    return TnDStudyConfig()


def paper_profile() -> TnDStudyConfig:
    """The paper's sizes for GPUs: GPT-2-sized (d=768, 12 heads) students, 10k steps, lr 2e-5 RL /
    1e-4 CLM, 128 trials + 128 demonstrations per RL step, 5 seeds, a 100k-step teacher."""
    gpt2 = ModelShape(width=768, layers=12, heads=12)
    return TnDStudyConfig(
        seeds=5,
        corpus=dataclasses.replace(CorpusConfig(), sentences=2_000_000),
        max_contexts=512,
        common_words=309,
        teacher=TeacherConfig(
            shape=gpt2,
            max_steps=100_000,
            batch_size=128,
            learning_rate=1e-4,
            warmup_steps=8000,
            checkpoints=100,
        ),
        reward=RewardConfig(shape=gpt2, prompts=25_000, max_steps=50_000, batch_size=16, learning_rate=5e-5),
        student=gpt2,
        tnd=TnDConfig(
            max_steps=10_000,
            clm_batch_size=128,
            clm_learning_rate=1e-4,
            clm_warmup_steps=8000,
            trials_per_step=128,
            max_new_tokens=122,
            save_steps=500,
            ppo=ValuePPOConfig(learning_rate=2e-5, mini_batch_size=16),
        ),
        eval_points=60,
    )


def run_tnd(config: TnDStudyConfig, out: Path, device: str = "auto", resume: bool = False) -> dict[str, Any]:
    """Run the study into ``out``; return the results written to ``results.json`` (``{}`` on the
    processes other than the first under ``accelerate launch``: they only train)."""
    from learners.common import is_main_process, processes, resolve_device
    from scenarios.tnd.stages import data, demonstrations, reward_model, student_runs, teacher
    from scenarios.tnd.summaries import draw, log_scalars, print_summary, summarize

    device = resolve_device(device)
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    corpus = data(config)
    # Under accelerate launch the first process trains and caches the teacher, the reward model
    # and the demonstrations while the others wait; they then read the caches.
    with processes().main_process_first():
        teacher_model, tokenizer, teacher_folder = teacher(config, corpus, device)
        scorer, fit = reward_model(config, corpus, tokenizer, teacher_folder, device)
        demos = demonstrations(config, corpus, teacher_model, tokenizer, teacher_folder)
    runs = student_runs(config, corpus, tokenizer, scorer, demos, out, device, resume)
    if not is_main_process():
        return {}
    results: dict[str, Any] = {
        "device": device,
        "corpus": corpus.report(),
        "reward_model": fit,
        "corpus_version": CORPUS_VERSION,
    }
    results.update(summarize(config, corpus, runs))
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    log_scalars(out / "tb", results)
    figures = draw(config, corpus, runs, results, out / "figures")
    print_summary(results, out, figures)
    return results
