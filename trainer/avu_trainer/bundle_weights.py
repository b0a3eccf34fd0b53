"""A bundle's trainable weights (docs/bundle.md "weights"): `weights.safetensors` beside the ONNX graphs.

The file holds the model's full state dict in float32; its config is the manifest's `model.config` (also in
the file's metadata, so it stands alone). Like every bundle file it is hashed in `manifest.files`, and loading
checks that hash. Any bundle with weights is a starting point for training (`load_bundle_model`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, safe_open, save_file
from tokenizers import Tokenizer

from .config import DolphinConfig
from .model import Dolphin, count_params

WEIGHTS_FILE = "weights.safetensors"


class BundleError(ValueError):
    """A bundle that cannot be trained from: one sentence naming the file and what to do."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_weights(model: Dolphin, path: Path, provenance: str = "") -> None:
    state = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in model.state_dict().items()}
    meta = {"format": "pt", "architecture": "dolphin", "config": json.dumps(model.cfg.to_dict())}
    if provenance:
        meta["provenance"] = provenance
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata=meta)
    tmp.replace(path)


def weights_entry(model: Dolphin, provenance: str = "") -> dict:
    entry = {"file": WEIGHTS_FILE, "format": "safetensors", "dtype": "float32",
             "parameters": count_params(model), "config": "model.config"}
    if provenance:
        entry["source"] = provenance
    return entry


def add_weights_to_bundle(model: Dolphin, bundle: Path, provenance: str = "") -> dict:
    """Writes weights.safetensors into an existing bundle and records it (and its sha256) in manifest.json."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    if manifest["model"]["config"] != json.loads(json.dumps(model.cfg.to_dict())):
        raise BundleError(f"{bundle}: the model's config differs from the manifest's model.config")
    save_weights(model, bundle / WEIGHTS_FILE, provenance)
    manifest["weights"] = weights_entry(model, provenance)
    manifest["files"][WEIGHTS_FILE] = sha256(bundle / WEIGHTS_FILE)
    tmp = bundle / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(bundle / "manifest.json")
    return manifest


def read_manifest(bundle: Path) -> dict:
    path = bundle / "manifest.json"
    if not path.is_file():
        raise BundleError(f"{bundle}: no manifest.json; pass a model bundle folder (e.g. models/dolphin-tiny)")
    return json.loads(path.read_text())


def load_bundle_model(bundle: str | Path, check_hashes: bool = True) -> tuple[Dolphin, Tokenizer, dict]:
    """-> (Dolphin with the bundle's weights, its tokenizer, the manifest). Raises BundleError."""
    bundle = Path(bundle)
    manifest = read_manifest(bundle)
    w = manifest.get("weights")
    if not w:
        raise BundleError(f"{bundle}: the bundle has ONNX graphs only (no weights in manifest.json); "
                          "export it with avu_trainer.export, or recover them: "
                          f"python -m avu_trainer.onnx_weights --bundle {bundle}")
    if w.get("format") != "safetensors":
        raise BundleError(f"{bundle}: weights format {w.get('format')!r} is not supported (safetensors is)")
    files = [w["file"], manifest["tokenizer"]["file"]]
    for f in files:
        path = bundle / f
        if not path.is_file():
            raise BundleError(f"{path} is missing; re-copy the bundle")
        if check_hashes and manifest["files"].get(f) != sha256(path):
            raise BundleError(f"{path} does not match its sha256 in manifest.json; re-copy the bundle")
    cfg = DolphinConfig.from_dict(manifest["model"]["config"])
    with safe_open(str(bundle / w["file"]), framework="pt") as fh:
        meta = fh.metadata() or {}
    if "config" in meta and json.loads(meta["config"]) != manifest["model"]["config"]:
        raise BundleError(f"{bundle / w['file']}: its config differs from manifest.json's model.config")
    model = Dolphin(cfg)
    model.load_state_dict(load_file(str(bundle / w["file"])))
    tok = Tokenizer.from_file(str(bundle / manifest["tokenizer"]["file"]))
    return model.eval(), tok, manifest
