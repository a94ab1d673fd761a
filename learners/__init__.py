"""What trains an agent: the SFT learner (in-weight and in-tool learning, causal-LM
pre-training, LoRA/QLoRA adapters as an option) and the PPO learner (clipped policy optimisation
on env rewards).

The convention every learner follows: a config dataclass (``SFTConfig``, ``PPOConfig``) whose
``__post_init__`` checks each option, and a ``train_*`` function taking ``(model, tokenizer,
data or make_env, config, output_dir, ...)`` that checkpoints into ``output_dir``, resumes from
its last checkpoint with ``resume=True``, saves the final model and tokenizer to
``output_dir/final`` and returns the trained model. What the learners share (device, precision,
processes, trainer options, save and resume) is in :mod:`learners.common`;
:mod:`learners.pretrain` caches a from-scratch pre-trained starting model.
"""
