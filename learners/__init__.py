"""What trains an agent: SFT (in-weight / in-tool), tool tokens, PPO, TnD; LoRA/QLoRA as options."""
