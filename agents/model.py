"""The model factory: a Llama-style decoder built from a few numbers, or any local causal LM."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from envs.checks import check_choice


def build_model(
    vocab_size: int,
    layers: int = 2,
    heads: int = 2,
    width: int = 64,
    max_length: int = 1024,
    tie_embeddings: bool = False,
    eos_token_id: int | None = None,
    norm_eps: float = 1e-6,
    rope_angle_scale: float = 1.0,
    init: str = "transformers",
):
    """A Llama decoder (RMSNorm, RoPE, SwiGLU) from transformers' own classes.

    Embeddings are untied unless ``tie_embeddings`` (one matrix for input and output, as in
    Llama-3.2-1B/3B: a tool token's row is then both the signal it gives and the logit it gets).

    ``vocab_size`` is the tokenizer's (``len(tokenizer)``); ``eos_token_id`` (default: the last
    id, as in toolgym's byte-level tokenizers) ends and pads sequences; give the tokenizer's, or
    transformers rewrites the model's config at the first ``generate`` and says so.
    The MLP is 4x the width, so a 2-layer model over the
    memory study's 260-token vocabulary has ``32 d^2 + 525 d`` parameters, the in-tool learning
    paper's family.

    ``norm_eps`` is RMSNorm's epsilon; ``init`` is ``transformers`` (every matrix normal with std
    0.02) or ``itl`` (itl's: normal truncated at 3 std, std ``width ** -0.5``, the MLP's output
    ``(4 width) ** -0.5``); ``rope_angle_scale`` multiplies the rotary angles (itl's are ``2 pi``
    times Llama's), as transformers' ``linear`` RoPE with factor ``1 / rope_angle_scale``, kept in
    the saved config.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    check_width("width", width, heads)
    check_choice("init", init, INITS)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_length,
        rms_norm_eps=norm_eps,
        initializer_range=0.02,
        rope_parameters=_rope(rope_angle_scale),
        tie_word_embeddings=tie_embeddings,
        attention_bias=False,
        mlp_bias=False,
        bos_token_id=None,
        eos_token_id=vocab_size - 1 if eos_token_id is None else eos_token_id,
        pad_token_id=vocab_size - 1 if eos_token_id is None else eos_token_id,
    )
    model = LlamaForCausalLM(config)
    if init == "itl":
        _itl_init(model, width)
    return model


INITS = ("transformers", "itl")


def _itl_init(model, width: int) -> None:
    """itl's initialisation (nanollama's ``reset_parameters``): every matrix drawn from a normal
    truncated at +-3 std, std ``width ** -0.5``, except the MLP's output, whose input is 4x wider:
    ``(4 width) ** -0.5``. transformers' ``initializer_range`` is one std, untruncated, for all
    matrices, hence this pass after its own; norms keep their scale of ones."""
    import torch

    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() != 2:
                continue
            std = (4 * width) ** -0.5 if name.endswith("mlp.down_proj.weight") else width**-0.5
            torch.nn.init.trunc_normal_(parameter, std=std, a=-3 * std, b=3 * std)


def _rope(angle_scale: float) -> dict:
    if angle_scale == 1.0:
        return {"rope_type": "default", "rope_theta": 10000.0}
    _quiet_rope_factor_warning()
    return {"rope_type": "linear", "factor": 1.0 / angle_scale, "rope_theta": 10000.0}


def _quiet_rope_factor_warning() -> None:
    """transformers warns that a linear RoPE factor should be >= 1 (it stretches contexts); here a
    factor below 1 is the point (angles scaled up), so that one message is dropped at every load."""
    import logging

    class DropFactorWarning(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "factor field must be" not in record.getMessage()

    logger = logging.getLogger("transformers.modeling_rope_utils")
    if not any(isinstance(f, DropFactorWarning) for f in logger.filters):
        logger.addFilter(DropFactorWarning())


def check_width(key: str, width: int, heads: int) -> None:
    """``width`` must split into ``heads`` heads of even size (rotary embeddings rotate pairs);
    raises ``ValueError`` naming ``key`` (the option that set the width)."""
    if width % heads or (width // heads) % 2:
        raise ValueError(
            f"{key}={width} is not valid; it must split into heads={heads} heads of even size (RoPE)"
        )


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def load_model(path: str | os.PathLike, load_in_4bit: bool = False):
    """A local Hugging Face causal LM and its tokenizer (never a hub download).

    With ``load_in_4bit`` the weights are quantised to 4-bit NF4 as they load (bitsandbytes,
    bf16 compute), the base model of QLoRA; it needs a CUDA device and the ``quantization`` extra.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"no Hugging Face model at {path} (config.json missing)")
    options = {}
    if load_in_4bit:
        import torch
        from transformers import BitsAndBytesConfig

        if not torch.cuda.is_available():
            raise ValueError(
                "load_in_4bit (QLoRA) needs a CUDA device; bitsandbytes' 4-bit layers run on GPUs"
            )
        options = dict(
            quantization_config=BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_compute_dtype=torch.bfloat16,
                bnb_4bit_use_double_quant=True,
            ),
            device_map={"": 0},
        )
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    _quiet_rope_factor_warning()  # a model built with rope_angle_scale > 1
    with quiet_transformers_bars():
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, **options)
    return model, tokenizer


@contextmanager
def quiet_transformers_bars():
    """transformers' "Loading weights" and "Writing model shards" bars off inside the block.

    transformers draws them for every load and save: a study loads and saves its small models
    many times (each method, round, checkpoint), and there the bars are noise. The user's setting
    is restored after (envs/embeddings.py does the same for its one load).
    """
    from transformers.utils import logging as transformers_logging

    bar_was_on = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bar_was_on:
            transformers_logging.enable_progress_bar()
