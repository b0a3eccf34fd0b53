"""Checkpoints carry everything needed to rebuild the model: config, weights, tokenizer JSON,
training position (stage, step), optimizer state for resuming."""
from __future__ import annotations

import os
from pathlib import Path

import torch
from tokenizers import Tokenizer

from .config import DolphinConfig
from .model import Dolphin


def save_checkpoint(path: str | Path, model: Dolphin, tokenizer: Tokenizer, *, train_cfg: dict | None = None,
                    stage: str = "", step: int = 0, optimizer: dict | None = None, extra: dict | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model_config": model.cfg.to_dict(),
        "model": model.state_dict(),
        "tokenizer_json": tokenizer.to_str(),
        "train_config": train_cfg,
        "stage": stage,
        "step": step,
        "optimizer": optimizer,
        "extra": extra or {},
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)                 # a crash mid-write never leaves a truncated checkpoint


def load_checkpoint(path: str | Path, map_location: str = "cpu") -> tuple[Dolphin, Tokenizer, dict]:
    state = torch.load(path, map_location=map_location, weights_only=False)
    model = Dolphin(DolphinConfig.from_dict(state["model_config"]))
    model.load_state_dict(state["model"])
    tok = Tokenizer.from_str(state["tokenizer_json"])
    return model, tok, state
