"""A from-scratch starting model, pre-trained once per settings and cached.

Studies that need a model which already knows their format (the calculator's model that answers
arithmetic from memory before PPO, the next studies' function-calling models) build a small
decoder, pre-train it with the SFT learner on a corpus and reuse it across runs:
:func:`pretrained_model` keeps it in ``cache/<name>-<key>/``, where ``key`` is a hash of
everything the model depends on, so changed settings train a new model and a killed pre-training
resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from envs.trajectory import Trajectory
from learners.sft_config import SFTConfig

# Options added to the configs after caches were keyed, with the default that reproduces the old
# behaviour: left out of the key while they keep it, so that a new option does not orphan every
# cached model (the grids' fingerprints follow the same rule, scenarios.overrides.differences).
LATER_OPTIONS = {"decay_norms": False}


def pretrain_key(settings: dict[str, Any]) -> str:
    """The cache key of ``settings``: the first 12 hex digits of the SHA-256 of their sorted JSON
    (``LATER_OPTIONS`` at their defaults left out)."""
    text = json.dumps(_without_later_defaults(settings), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _without_later_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_later_defaults(item)
            for key, item in value.items()
            if not (key in LATER_OPTIONS and item == LATER_OPTIONS[key])
        }
    if isinstance(value, list):
        return [_without_later_defaults(item) for item in value]
    return value


def pretrained_model(
    name: str,
    settings: dict[str, Any],
    make_corpus: Callable[[], Sequence[Trajectory]],
    make_tokenizer: Callable[[], Any],
    *,
    layers: int,
    heads: int,
    width: int,
    sft: SFTConfig,
    cache: str | os.PathLike,
    device: str = "auto",
    progress: bool = True,
    model_options: dict[str, Any] | None = None,
):
    """The model pre-trained on ``make_corpus()``, trained on the first call and then read from ``cache``.

    Args:
        name: the study's name, the start of the cache folder's name.
        settings: everything the model depends on (corpus options and version, model size, the
            SFT options...), as JSON values; their hash names the cache folder.
        make_corpus: builds the training conversations (called only when training).
        make_tokenizer: builds the tokenizer (its vocabulary sizes the model).
        layers, heads, width: the decoder's shape (:func:`agents.model.build_model`).
        sft: the SFT learner's options (``assistant_only_loss=False`` for causal-LM pre-training).
        cache: folder of cached models.
        device: ``cpu``, ``cuda`` or ``auto``.
        progress: show a progress bar while training.
        model_options: more keyword arguments of :func:`agents.model.build_model`
            (``tie_embeddings``, ``max_length``); include them in ``settings`` too.

    Returns:
        ``(model, tokenizer, path)``: the final model and its tokenizer, loaded from ``path``.
    """
    from agents.model import build_model, load_model, parameter_count
    from learners.sft import train_sft

    folder = Path(cache) / f"{name}-{pretrain_key(settings)}"
    final = folder / "final"
    if not (final / "config.json").exists():
        tokenizer = make_tokenizer()
        # Built before the corpus, from the global torch RNG, as the calculator's cache always was.
        options = {"eos_token_id": tokenizer.eos_token_id, **(model_options or {})}
        model = build_model(len(tokenizer), layers, heads, width, **options)
        corpus = list(make_corpus())
        print(f"[pretrain] {len(corpus)} conversations, {parameter_count(model):,} params -> {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pretrain.json").write_text(json.dumps(settings, indent=2))
        train_sft(model, tokenizer, corpus, sft, folder, resume=True, device=device, progress=progress)
    model, tokenizer = load_model(final)
    return model, tokenizer, final
