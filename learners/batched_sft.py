"""Many small Llama models trained at once: the SFT learner for a grid's cells that share a shape.

``train_sft_batched`` trains M models of one architecture (same width, layers, heads, vocabulary)
on M data sets with one :class:`SFTConfig`, as M runs of :func:`learners.sft.train_sft` would:
each model sees its own data in the order ``train_sft``'s sampler gives it, has its own AdamW
moments, its own gradient-norm clipping, its own TensorBoard folder, checkpoints and ``final``
model, and the results agree with one-by-one training up to float tolerance
(``tests/learners/test_batched_sft.py``). The M models are one stack of weights with a leading
model axis, so each matrix product of a step is one batched product over the M models.

Why a hand-written forward pass and not ``torch.func.vmap`` over transformers' Llama: vmap over
``functional_call`` ran the 8-model stack at 0.6-1.3x the speed of one model trained 8 times
(SDPA and the loss fall back to per-sample paths under vmap), the stacked ``bmm`` version below
at 1.0-1.2x on a 2-core CPU, where a single small model's step is already bound by memory
traffic (the 260-way softmax dominates, see docs/benchmarks.md); on a GPU, where a tiny model's
step is bound by kernel launches, one stack launches the kernels of M models once. The forward
pass is transformers' ``LlamaForCausalLM`` (RMSNorm, rotary embeddings with ``rotate_half``,
SwiGLU, untied or tied head) and is checked against it in the tests; models it does not cover
(biases, grouped-query attention, RoPE scalings other than linear) are refused by :func:`check_stackable`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.tensorboard import SummaryWriter
from tqdm.auto import tqdm
from transformers import get_scheduler

from agents.model import quiet_transformers_bars
from envs.trajectory import Trajectory
from learners.common import markdown_table, resolve_device, use_bf16
from learners.sft import EpochSeededLengthGroupedSampler, PadToLongest, training_examples
from learners.sft_config import SFTConfig

CHECKPOINT = "batched-checkpoint-{step}.pt"


def check_stackable(models: Sequence) -> None:
    """Raise ``ValueError`` unless ``models`` are plain Llama models of one shape this module runs."""
    if not models:
        raise ValueError("train_sft_batched needs at least one model")
    first = models[0].config
    if first.model_type != "llama":
        raise ValueError(f"batched training runs Llama models, not {first.model_type!r}")
    unsupported = {
        "attention_bias": first.attention_bias,
        "mlp_bias": first.mlp_bias,
        "grouped-query attention": first.num_key_value_heads != first.num_attention_heads,
        "RoPE other than default or linear": (first.rope_parameters or {}).get("rope_type", "default")
        not in ("default", "linear"),
        "hidden_act other than silu": first.hidden_act != "silu",
    }
    if any(unsupported.values()):
        raise ValueError(f"batched training does not support {[k for k, v in unsupported.items() if v]}")
    shapes = [{n: p.shape for n, p in m.named_parameters()} for m in models]
    if any(shape != shapes[0] for shape in shapes):
        raise ValueError("the models to train together must all have the same shape (width, layers, vocab)")


class StackedLlama:
    """The weights of M Llama models of one shape, stacked on a leading axis, and their forward pass."""

    def __init__(self, models: Sequence, device: str):
        check_stackable(models)
        config = models[0].config
        self.config = config
        self.tied = config.tie_word_embeddings
        self.params = {
            name: torch.nn.Parameter(
                torch.stack([dict(m.named_parameters())[name].detach() for m in models]).to(device)
            )
            for name, _ in models[0].named_parameters()
        }
        head_dim = config.hidden_size // config.num_attention_heads
        theta = config.rope_parameters["rope_theta"]
        self.inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, device=device).float() / head_dim)
        if config.rope_parameters.get("rope_type") == "linear":  # positions divided by the factor
            self.inv_freq = self.inv_freq / config.rope_parameters["factor"]

    def hidden_states(self, input_ids: torch.Tensor) -> torch.Tensor:
        """The last hidden states, ``[M, B*T, d]``, of each model on its own ``[M, B, T]`` ids."""
        c, p = self.config, self.params
        models, batch, length = input_ids.shape
        heads, width = c.num_attention_heads, c.hidden_size
        head_dim = width // heads
        rows = torch.arange(models, device=input_ids.device)[:, None, None]
        x = p["model.embed_tokens.weight"][rows, input_ids].reshape(models, batch * length, width)
        angles = torch.arange(length, device=x.device).float()[:, None] * self.inv_freq[None]
        angles = torch.cat((angles, angles), -1)
        cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)

        def heads_of(h: torch.Tensor) -> torch.Tensor:  # [M, B*T, d] -> [M*B, heads, T, head_dim]
            return h.view(models * batch, length, heads, head_dim).transpose(1, 2)

        for layer in range(c.num_hidden_layers):
            w = f"model.layers.{layer}."
            h = self._norm(x, p[w + "input_layernorm.weight"])
            q, k, v = (heads_of(_linear(h, p[w + f"self_attn.{n}_proj.weight"])) for n in "qkv")
            q, k = q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin
            attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + _linear(
                attended.transpose(1, 2).reshape(models, batch * length, width),
                p[w + "self_attn.o_proj.weight"],
            )
            h = self._norm(x, p[w + "post_attention_layernorm.weight"])
            gated = F.silu(_linear(h, p[w + "mlp.gate_proj.weight"])) * _linear(
                h, p[w + "mlp.up_proj.weight"]
            )
            x = x + _linear(gated, p[w + "mlp.down_proj.weight"])
        return self._norm(x, p["model.norm.weight"])

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        head = self.params["model.embed_tokens.weight" if self.tied else "lm_head.weight"]
        return _linear(hidden, head)

    def losses(self, input_ids: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Each model's mean next-token loss over its labelled tokens (``[M]``), as transformers'.

        Only the positions with a label go through the head and the softmax: the same loss, and
        the [tokens x vocabulary] softmax was the step's largest cost.
        """
        models = input_ids.shape[0]
        targets = F.pad(labels, (0, 1), value=-100)[..., 1:].reshape(models, -1)
        labelled = targets != -100
        counts = labelled.sum(1)
        # Each model's labelled positions first (a stable sort), cut at the most any model has.
        order = torch.argsort((~labelled).to(torch.int8), dim=1, stable=True)[:, : int(counts.max())]
        hidden = self.hidden_states(input_ids)
        picked = torch.gather(hidden, 1, order[..., None].expand(-1, -1, hidden.shape[-1]))
        logits = self.logits(picked).float()
        loss = F.cross_entropy(
            logits.flatten(0, 1),
            torch.gather(targets, 1, order).flatten(),
            ignore_index=-100,
            reduction="none",
        )
        return loss.view(models, -1).sum(1) / counts.clamp(min=1)

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """transformers' LlamaRMSNorm: normalised in fp32, scaled in the input's dtype."""
        dtype = x.dtype
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.config.rms_norm_eps)
        return weight[:, None, :] * x32.to(dtype)

    def model_state(self, index: int) -> dict[str, torch.Tensor]:
        """Model ``index``'s weights, as its ``state_dict`` names them."""
        return {name: p.detach()[index].cpu().clone() for name, p in self.params.items()}


def _linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x @ W.T`` per model: ``[M, N, in]`` x ``[M, out, in]`` -> ``[M, N, out]``."""
    return torch.bmm(x, weight.transpose(1, 2))


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


def _no_decay(name: str) -> bool:
    """Trainer's rule (``get_decay_parameter_names``): no weight decay on norms and biases."""
    return "norm" in name or name.endswith("bias")


def clip_each(params: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """``clip_grad_norm_`` for each model of the stack on its own slice; returns the M norms.

    torch's function clips by the norm of every parameter together, which here would tie the
    models' updates together.
    """
    squares = sum(p.grad.float().pow(2).flatten(1).sum(1) for p in params)
    norms = squares.sqrt()
    if max_norm > 0:
        scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for p in params:
            p.grad.mul_(scale.view(-1, *[1] * (p.grad.dim() - 1)).to(p.grad.dtype))
    return norms


class ModelBatches:
    """One model's batches in ``train_sft``'s order: the length-grouped sampler's, epoch by epoch."""

    def __init__(self, examples: list[dict[str, list[int]]], batch_size: int, seed: int):
        self.examples, self.batch_size = examples, batch_size
        self.sampler = EpochSeededLengthGroupedSampler(
            batch_size, [len(e["input_ids"]) for e in examples], seed
        )
        self.per_epoch = math.ceil(len(examples) / batch_size)
        self._epoch, self._order = None, []

    def batch(self, step: int) -> list[dict[str, list[int]]]:
        """The examples of optimiser step ``step`` (0-based); the last batch of an epoch may be short."""
        epoch, index = divmod(step, self.per_epoch)
        if self._epoch != epoch:
            self.sampler.set_epoch(epoch)
            self._order, self._epoch = list(self.sampler), epoch
        chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        return [self.examples[i] for i in chosen]


def stack_batches(batches: list[list[dict[str, list[int]]]], pad_token_id: int) -> dict[str, torch.Tensor]:
    """The M models' batches padded on the right to one ``[M, B, T]`` (short batches padded with
    unlabelled rows, which change no loss)."""
    rows = max(len(b) for b in batches)
    filler = {"input_ids": [pad_token_id], "labels": [-100]}
    padded = PadToLongest(pad_token_id)([e for b in batches for e in b + [filler] * (rows - len(b))])
    return {key: padded[key].view(len(batches), rows, -1) for key in ("input_ids", "labels")}


def train_sft_batched(
    models: Sequence,
    tokenizer,
    datasets: Sequence[Sequence[Trajectory]],
    config: SFTConfig,
    output_dirs: Sequence[str | os.PathLike],
    resume: bool = False,
    device: str = "auto",
    progress: bool = True,
) -> list:
    """Train ``models[i]`` on ``datasets[i]`` into ``output_dirs[i]`` (each as ``train_sft`` would,
    ``final/`` included), all in one stack; return the trained models.

    With ``resume``, every model continues from the newest step that all of them checkpointed.
    PEFT adapters and evaluation in the env during training are not supported here
    (``config.peft`` and ``config.eval_steps`` must be unset).
    """
    if config.peft is not None or config.eval_steps:
        raise ValueError(
            "train_sft_batched trains full models without live evaluation: peft and eval_steps must be unset"
        )
    if not len(models) == len(datasets) == len(output_dirs):
        raise ValueError(
            f"{len(models)} models, {len(datasets)} datasets, {len(output_dirs)} output_dirs: not one each"
        )
    device = resolve_device(device)
    output_dirs = [Path(d) for d in output_dirs]
    stack = StackedLlama(models, device)
    names = list(stack.params)
    spared = {n for n in names if _no_decay(n) and not config.decay_norms}
    groups = [
        {"params": [stack.params[n] for n in names if n not in spared], "weight_decay": config.weight_decay},
        {"params": [stack.params[n] for n in names if n in spared], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(
        [g for g in groups if g["params"]], lr=config.learning_rate, betas=(0.9, config.adam_beta2), eps=1e-8
    )
    scheduler = get_scheduler("cosine", optimizer, config.warmup_steps, config.max_steps)
    streams = [
        ModelBatches(training_examples(tokenizer, data, config), config.batch_size, config.seed)
        for data in datasets
    ]
    start = _resume(stack, optimizer, scheduler, output_dirs) if resume else 0
    writers = [SummaryWriter(str(d / "tb")) for d in output_dirs]
    for writer in writers:
        writer.add_text("hyperparameters", markdown_table(vars(config)))
    bf16 = use_bf16(config.precision, device)
    running = torch.zeros(len(models))
    bar = tqdm(
        range(start, config.max_steps),
        initial=start,
        total=config.max_steps,
        disable=not progress,
        desc="batched SFT",
    )
    for step in bar:
        batch = stack_batches([s.batch(step) for s in streams], tokenizer.pad_token_id)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
            losses = stack.losses(batch["input_ids"].to(device), batch["labels"].to(device))
        losses.sum().backward()  # each model's loss reaches its own slice of the weights only
        norms = clip_each(list(stack.params.values()), config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        running += losses.detach().float().cpu()
        done = step + 1
        if done % config.logging_steps == 0:
            for i, writer in enumerate(writers):
                writer.add_scalar("train/loss", running[i].item() / config.logging_steps, done)
                writer.add_scalar("train/grad_norm", norms[i].item(), done)
                writer.add_scalar("train/learning_rate", scheduler.get_last_lr()[0], done)
            bar.set_postfix(loss=f"{running.mean().item() / config.logging_steps:.3f}")
            running.zero_()
        if done % config.save_steps == 0 and done < config.max_steps:
            _save_checkpoints(stack, optimizer, scheduler, output_dirs, done, config.save_total_limit)
    for i, (model, out) in enumerate(zip(models, output_dirs, strict=True)):
        model.load_state_dict(stack.model_state(i), strict=False)
        with quiet_transformers_bars():
            model.save_pretrained(str(out / "final"))
        tokenizer.save_pretrained(str(out / "final"))
        writers[i].close()
    return list(models)


def _save_checkpoints(stack, optimizer, scheduler, output_dirs, step: int, keep: int) -> None:
    """Each model's weights and AdamW moments at ``step`` into its own folder (written whole or not
    at all), the oldest beyond ``keep`` removed."""
    moments = [optimizer.state[p] for p in stack.params.values()]
    for i, out in enumerate(output_dirs):
        out.mkdir(parents=True, exist_ok=True)
        state = {
            "step": step,
            "model": stack.model_state(i),
            "exp_avg": [m["exp_avg"][i].cpu().clone() for m in moments],
            "exp_avg_sq": [m["exp_avg_sq"][i].cpu().clone() for m in moments],
            "adam_step": [m["step"].clone() for m in moments],
            "scheduler": scheduler.state_dict(),
        }
        temporary = out / (CHECKPOINT.format(step=step) + ".tmp")
        torch.save(state, temporary)
        temporary.replace(out / CHECKPOINT.format(step=step))
        for old in _checkpoint_steps(out)[:-keep]:
            (out / CHECKPOINT.format(step=old)).unlink()


def _checkpoint_steps(out: Path) -> list[int]:
    return sorted(
        int(p.name.split("-")[-1].removesuffix(".pt")) for p in out.glob(CHECKPOINT.format(step="*"))
    )


def _resume(stack, optimizer, scheduler, output_dirs) -> int:
    """Load the newest step every model has a checkpoint of; return it (0: none in common)."""
    common = set.intersection(*(set(_checkpoint_steps(out)) for out in output_dirs))
    if not common:
        return 0
    step = max(common)
    states = [torch.load(out / CHECKPOINT.format(step=step), weights_only=True) for out in output_dirs]
    params = list(stack.params.values())
    with torch.no_grad():
        for name, p in stack.params.items():
            p.copy_(torch.stack([s["model"][name] for s in states]).to(p.device))
    for k, p in enumerate(params):
        optimizer.state[p] = {
            "step": states[0]["adam_step"][k],
            "exp_avg": torch.stack([s["exp_avg"][k] for s in states]).to(p.device),
            "exp_avg_sq": torch.stack([s["exp_avg_sq"][k] for s in states]).to(p.device),
        }
    scheduler.load_state_dict(states[0]["scheduler"])
    for group, lr in zip(optimizer.param_groups, scheduler.get_last_lr(), strict=True):
        group["lr"] = lr  # the optimiser's state_dict would carry it; ours is rebuilt from slices
    print(f"[batched SFT] resumed {len(states)} models from step {step}")
    return step
