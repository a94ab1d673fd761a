"""The stages of the ``tnd`` study: data, teacher, reward model, demonstrations, students."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from learners.pretrain import pretrain_key

# The stages take the study's config (scenarios.tnd.study.TnDStudyConfig), which imports them.
TnDStudyConfig = Any


@dataclass
class Corpus:
    """The study's text: training and evaluation utterances, prompts, word sets and their contexts."""

    train: list[str]
    eval: list[str]
    word_sets: dict[str, Any]
    settings: dict[str, Any]
    """What the text depends on (a cache key's part)."""

    def report(self) -> dict[str, Any]:
        return {
            "train_utterances": len(self.train),
            "eval_utterances": len(self.eval),
            "words_tracked": {name: len(s.words) for name, s in self.word_sets.items()},
            **self.settings,
        }


def data(config: TnDStudyConfig) -> Corpus:
    """Generated or loaded utterances, split so that no evaluation utterance is in training text."""
    from envs.teacher_demo.corpus import VERSION, generate_corpus, load_text_corpus, split_corpus

    if config.text is not None:
        sentences = load_text_corpus(config.text)
        settings = {"text": str(Path(config.text).resolve()), "lines": len(sentences)}
    else:
        sentences = generate_corpus(config.corpus)
        settings = {"corpus": dataclasses.asdict(config.corpus), "corpus_version": VERSION}
    train, held_out = split_corpus(sentences, config.corpus.eval_share, config.corpus.seed)
    return Corpus(train, held_out, {}, settings)


def with_word_sets(config: TnDStudyConfig, corpus: Corpus, tokenizer) -> Corpus:
    from envs.teacher_demo.words import build_word_sets

    corpus.word_sets = build_word_sets(
        corpus.eval, set(tokenizer.get_vocab()), min_contexts=config.min_contexts,
        max_contexts=config.max_contexts, common_size=config.common_words, seed=config.corpus.seed,
    )  # fmt: skip
    return corpus


def teacher(config: TnDStudyConfig, corpus: Corpus, device: str):
    """Stage 1, cached: the tokenizer (fit on the training split) and the teacher trained by CLM."""
    from agents.model import build_model, load_model
    from agents.tokenizers.teacher_demo import build_teacher_demo_tokenizer, encode_sentence
    from learners.clm import log_spaced_steps, train_clm

    t = config.teacher
    settings = {"data": corpus.settings, "max_vocab": config.max_vocab, "teacher": dataclasses.asdict(t)}
    folder = Path(config.cache) / f"tnd-teacher-{pretrain_key(settings)}"
    if not (folder / "final" / "config.json").exists():
        import torch

        tokenizer = build_teacher_demo_tokenizer(corpus.train, config.max_vocab)
        torch.manual_seed(0)
        model = build_model(len(tokenizer), t.shape.layers, t.shape.heads, t.shape.width,
                            max_length=256, eos_token_id=tokenizer.eos_token_id)  # fmt: skip
        model.config.pad_token_id = tokenizer.pad_token_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.json").write_text(json.dumps(settings, indent=2))
        print(f"[teacher] CLM {t.max_steps} steps on {len(corpus.train):,} utterances -> {folder}")
        train_clm(
            model.to(device), tokenizer, [encode_sentence(tokenizer, s) for s in corpus.train],
            max_steps=t.max_steps, batch_size=t.batch_size, learning_rate=t.learning_rate,
            warmup_steps=t.warmup_steps, save_at=log_spaced_steps(t.max_steps, t.checkpoints),
            folder=folder, progress=config.progress,
        )  # fmt: skip
    model, tokenizer = load_model(folder / "final")
    with_word_sets(config, corpus, tokenizer)
    return model.to(device), tokenizer, folder


def checkpoint_steps(folder: Path) -> list[int]:
    return sorted(
        int(p.name.split("-")[1]) for p in folder.glob("checkpoint-*") if (p / "config.json").exists()
    )


def reward_model(config: TnDStudyConfig, corpus: Corpus, tokenizer, teacher_folder: Path, device: str):
    """Stage 2, cached: the age regression on the teacher checkpoints' continuations; its fit on
    held-out prompts. Returns the env's scorer (text -> predicted log step) and the fit report."""
    from scipy.stats import pearsonr
    from transformers import AutoModelForCausalLM

    from agents.continuation import ContinuationAgent
    from agents.model import quiet_transformers_bars
    from envs.teacher_demo.corpus import prompt_of
    from learners.age_model import (
        age_scorer,
        build_age_model,
        load_age_model,
        predict,
        save_age_model,
        train_age_model,
    )  # fmt: skip

    r = config.reward
    settings = {
        "teacher": teacher_folder.name,
        "reward": dataclasses.asdict(r),
        "max_new_tokens": config.tnd.max_new_tokens,
    }
    folder = Path(config.cache) / f"tnd-reward-{pretrain_key(settings)}"
    if not (folder / "fit.json").exists():
        import torch

        rng = np.random.default_rng(0)
        chosen = rng.choice(len(corpus.train), size=min(r.prompts, len(corpus.train)), replace=False)
        prompts = [prompt_of(corpus.train[i], config.prompt_words)[0] for i in chosen]
        held_out = len(prompts) // 10
        pairs: list[tuple[str, float, bool]] = []
        steps = checkpoint_steps(teacher_folder)
        print(f"[reward model] {len(steps)} teacher checkpoints x {len(prompts)} prompts -> {folder}")
        torch.manual_seed(0)
        for step in steps:
            with quiet_transformers_bars():
                model = AutoModelForCausalLM.from_pretrained(teacher_folder / f"checkpoint-{step}").to(device)
            agent = ContinuationAgent(
                model, tokenizer, max_new_tokens=config.tnd.max_new_tokens, top_k=config.tnd.top_k
            )
            for k, (prompt, text) in enumerate(zip(prompts, agent.continue_texts(prompts), strict=True)):
                pairs.append((f"{prompt} {text}".strip(), math.log(step), k < held_out))
        torch.manual_seed(0)
        model = build_age_model(tokenizer, r.shape.width, r.shape.layers, r.shape.heads).to(device)
        fit_pairs = [(t, y) for t, y, h in pairs if not h]
        train_age_model(
            model, tokenizer, [t for t, _ in fit_pairs], [y for _, y in fit_pairs], max_steps=r.max_steps,
            batch_size=r.batch_size, learning_rate=r.learning_rate, progress=config.progress,
        )  # fmt: skip
        test = [(t, y) for t, y, h in pairs if h]
        predicted = predict(model, tokenizer, [t for t, _ in test])
        truth = np.array([y for _, y in test])
        fit = {
            "pearson_r": float(pearsonr(predicted, truth).statistic),
            "rmse_log_step": float(np.sqrt(np.mean((predicted - truth) ** 2))),
            "checkpoints": len(steps),
            "pairs": len(pairs),
            "held_out_pairs": len(test),
        }
        save_age_model(model, tokenizer, folder)
        (folder / "fit.json").write_text(json.dumps(fit, indent=2))
    model, _ = load_age_model(folder)
    return age_scorer(model.to(device), tokenizer), json.loads((folder / "fit.json").read_text())


def masked_words(config: TnDStudyConfig, corpus: Corpus) -> list[str]:
    """The CDI words the teacher may not write: the first ``masked_teacher_words`` of a seeded shuffle."""
    if not config.masked_teacher_words:
        return []
    words = list(corpus.word_sets["cdi"].words)
    np.random.default_rng(0).shuffle(words)
    return sorted(words[: config.masked_teacher_words])


def prompt_pool(config: TnDStudyConfig, corpus: Corpus) -> list[str]:
    """The training utterances RL prompts come from (a seeded draw of ``prompt_pool``)."""
    rng = np.random.default_rng(1)
    size = min(config.prompt_pool, len(corpus.train))
    return [corpus.train[i] for i in sorted(rng.choice(len(corpus.train), size=size, replace=False))]


def demonstrations(
    config: TnDStudyConfig, corpus: Corpus, teacher_model, tokenizer, teacher_folder: Path
) -> dict[str, str]:
    """The final teacher's continuation of every pool prompt, sampled once and cached (prompt -> text)."""
    from agents.continuation import ContinuationAgent
    from envs.teacher_demo.corpus import prompt_of

    masked = masked_words(config, corpus)
    settings = {"pool": config.prompt_pool, "data": corpus.settings, "masked": masked,
                "top_k": config.tnd.top_k, "max_new_tokens": config.tnd.max_new_tokens}  # fmt: skip
    path = teacher_folder / f"demonstrations-{pretrain_key(settings)}.json"
    if not path.exists():
        import torch

        prompts = sorted({prompt_of(s, config.prompt_words)[0] for s in prompt_pool(config, corpus)})
        suppress = tokenizer.convert_tokens_to_ids(masked)
        agent = ContinuationAgent(teacher_model, tokenizer, max_new_tokens=config.tnd.max_new_tokens,
                                  top_k=config.tnd.top_k, suppress=suppress)  # fmt: skip
        torch.manual_seed(0)
        path.write_text(json.dumps(dict(zip(prompts, agent.continue_texts(prompts), strict=True))))
    return json.loads(path.read_text())


def evaluation_batch(corpus: Corpus, tokenizer) -> tuple[list[list[int]], dict[str, list[tuple[int, int]]]]:
    """The evaluation utterances holding a tracked word's context, encoded, and each word's
    (sequence, token position) pairs (+1: every sequence starts with ``eos``)."""
    from agents.tokenizers.teacher_demo import encode_sentence

    contexts: dict[str, list[tuple[int, int]]] = {}
    for word_set in corpus.word_sets.values():
        contexts.update(word_set.contexts)
    used = sorted({i for pairs in contexts.values() for i, _ in pairs})
    row_of = {i: row for row, i in enumerate(used)}
    sequences = [encode_sentence(tokenizer, corpus.eval[i]) for i in used]
    positions = {w: [(row_of[i], p + 1) for i, p in pairs] for w, pairs in contexts.items()}
    return sequences, positions


Curves = dict[int, dict[str, float]]
"""A run's learning curves: ``{step: {word: surprisal in bits}}``."""


def student_runs(
    config: TnDStudyConfig, corpus: Corpus, tokenizer, scorer, demos: dict[str, str], out: Path, device: str,
    resume: bool,
) -> dict[str, dict[int, Curves]]:  # fmt: skip
    """Train every variant at every seed (a finished run is read back); curves by variant and seed."""
    import gymnasium as gym
    import torch

    import envs  # noqa: F401  (registers the ids)
    from agents.model import build_model
    from agents.surprisal import word_surprisals
    from agents.tokenizers.teacher_demo import encode_sentence
    from learners.clm import log_spaced_steps
    from learners.tnd import train_tnd

    pool = prompt_pool(config, corpus)
    make_env = lambda: gym.make(  # noqa: E731
        "toolgym/TeacherDemo-v0", sentences=pool, prompt_words=config.prompt_words,
        reward_model=scorer, teacher=demos.__getitem__,
    )  # fmt: skip
    encoded = [encode_sentence(tokenizer, s) for s in corpus.train]
    sequences, positions = evaluation_batch(corpus, tokenizer)
    eval_steps = log_spaced_steps(config.tnd.max_steps, config.eval_points)
    teacher_log_age = math.log(config.teacher.max_steps)
    runs: dict[str, dict[int, Curves]] = {}
    for variant in config.variants:
        for seed in range(config.seeds):
            folder = out / "students" / f"{variant}-seed{seed}"
            if (folder / "curves.json").exists() and resume:
                curves = {int(k): v for k, v in json.loads((folder / "curves.json").read_text()).items()}
            else:
                torch.manual_seed(seed)  # every variant of a seed starts from the same weights
                s = config.student
                model = build_model(len(tokenizer), s.layers, s.heads, s.width, max_length=256,
                                    eos_token_id=tokenizer.eos_token_id).to(device)  # fmt: skip
                model.config.pad_token_id = tokenizer.pad_token_id
                learner = dataclasses.replace(config.tnd, variant=variant, seed=seed)
                curves = train_tnd(
                    model, tokenizer, make_env, encoded, learner, folder,
                    evaluate=lambda m: word_surprisals(m, sequences, positions),
                    eval_steps=eval_steps, teacher_log_age=teacher_log_age,
                    tb_dir=out / "tb" / f"{variant}-seed{seed}",
                    rollout_path=out / "trajectories" / f"{variant}-seed{seed}.jsonl",
                    resume=resume, progress=config.progress,
                )  # fmt: skip
            runs.setdefault(variant, {})[seed] = curves
    return runs
