"""Export a Dolphin checkpoint (or random weights) as a model bundle (docs/bundle.md).

    python -m avu_trainer.export --checkpoint trainer/runs/tiny/final.pt --out models/dolphin-tiny
    python -m avu_trainer.export --random --out trainer/data/dolphin-random
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .bundle_weights import WEIGHTS_FILE, save_weights, weights_entry
from .config import DolphinConfig
from .model import Dolphin
from .prompts import prompt_manifest
from .tokenizer import BOS, EOS, PAD, encode_prompt

OPSET = 17
SCHEMA_VERSION = 1
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


class _Encoder(nn.Module):
    def __init__(self, m: Dolphin):
        super().__init__()
        self.m = m

    def forward(self, frames, spectrograms):
        return self.m.encode(frames, spectrograms)


class _Embed(nn.Module):
    def __init__(self, m: Dolphin):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m.embed_tokens(input_ids)


class _Decoder(nn.Module):
    def __init__(self, m: Dolphin):
        super().__init__()
        self.dec = m.decoder

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, present = self.dec(inputs_embeds, attention_mask, position_ids, past)
        return (logits, *[t for kv in present for t in kv])


def _io(name: str, dtype: str, shape: list) -> dict:
    return {"name": name, "dtype": dtype, "shape": shape}


def graph_specs(cfg: DolphinConfig) -> dict:
    T, H, hd, L = cfg.frames, cfg.n_heads, cfg.head_dim, cfg.n_layers
    past = [_io(f"past_key_values.{i}.{kv}", "float32", ["B", H, "past", hd]) for i in range(L) for kv in ("key", "value")]
    present = [_io(f"present.{i}.{kv}", "float32", ["B", H, "past+S", hd]) for i in range(L) for kv in ("key", "value")]
    return {
        "av_encoder": {"file": "av_encoder.onnx",
                       "inputs": [_io("frames", "float32", ["B", T, 3, cfg.image_size, cfg.image_size]),
                                  _io("spectrograms", "float32", ["B", T, 1, cfg.mel_bins, cfg.spec_frames])],
                       "outputs": [_io("prefix_embeds", "float32", ["B", cfg.prefix_length, cfg.dim])]},
        "embed_tokens": {"file": "embed_tokens.onnx",
                         "inputs": [_io("input_ids", "int64", ["B", "S"])],
                         "outputs": [_io("inputs_embeds", "float32", ["B", "S", cfg.dim])]},
        "decoder": {"file": "decoder.onnx",
                    "inputs": [_io("inputs_embeds", "float32", ["B", "S", cfg.dim]),
                               _io("attention_mask", "int64", ["B", "past+S"]),
                               _io("position_ids", "int64", ["B", "S"]), *past],
                    "outputs": [_io("logits", "float32", ["B", "S", cfg.vocab_size]), *present]},
    }


def export_onnx(model: Dolphin, out: Path) -> None:
    model = model.eval().cpu()
    cfg = model.cfg
    specs = graph_specs(cfg)
    names = lambda g, k: [x["name"] for x in specs[g][k]]  # noqa: E731
    with torch.no_grad():
        f = torch.randn(1, cfg.frames, 3, cfg.image_size, cfg.image_size)
        s = torch.randn(1, cfg.frames, 1, cfg.mel_bins, cfg.spec_frames)
        torch.onnx.export(_Encoder(model), (f, s), out / "av_encoder.onnx", opset_version=OPSET, dynamo=False,
                          input_names=names("av_encoder", "inputs"), output_names=names("av_encoder", "outputs"),
                          dynamic_axes={"frames": {0: "B"}, "spectrograms": {0: "B"}, "prefix_embeds": {0: "B"}})
        ids = torch.zeros(2, 3, dtype=torch.long)
        torch.onnx.export(_Embed(model), (ids,), out / "embed_tokens.onnx", opset_version=OPSET, dynamo=False,
                          input_names=["input_ids"], output_names=["inputs_embeds"],
                          dynamic_axes={"input_ids": {0: "B", 1: "S"}, "inputs_embeds": {0: "B", 1: "S"}})
        # traced with a non-empty cache; the graph keeps every length symbolic, so past = 0 works too
        B, S, past_len = 2, 3, 4
        x = torch.randn(B, S, cfg.dim)
        mask = torch.ones(B, past_len + S, dtype=torch.long)
        pos = torch.arange(past_len, past_len + S).expand(B, -1).contiguous()
        past = [torch.randn(B, cfg.n_heads, past_len, cfg.head_dim) for _ in range(2 * cfg.n_layers)]
        dyn = {"inputs_embeds": {0: "B", 1: "S"}, "attention_mask": {0: "B", 1: "total"},
               "position_ids": {0: "B", 1: "S"}, "logits": {0: "B", 1: "S"}}
        for n in names("decoder", "inputs")[3:]:
            dyn[n] = {0: "B", 2: "past"}
        for n in names("decoder", "outputs")[1:]:
            dyn[n] = {0: "B", 2: "total"}
        torch.onnx.export(_Decoder(model), (x, mask, pos, *past), out / "decoder.onnx", opset_version=OPSET,
                          dynamo=False, input_names=names("decoder", "inputs"),
                          output_names=names("decoder", "outputs"), dynamic_axes=dyn)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_manifest(cfg: DolphinConfig, tok, name: str, version: str, files: list[str], out: Path) -> dict:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "name": name,
        "version": version,
        "architecture": "dolphin",
        "preprocessing": {
            "frames": {"count": cfg.frames, "size": cfg.image_size, "resize": "bicubic-short-side",
                       "crop": "center", "mean": CLIP_MEAN, "std": CLIP_STD},
            "audio": {"sampleRateHz": 16000, "segmentS": 2.0, "melBins": cfg.mel_bins,
                      "targetFrames": cfg.spec_frames, "frameLengthMs": 25, "frameShiftMs": 10,
                      "normMean": -4.268, "normStd": 9.138},
        },
        "graphs": graph_specs(cfg),
        "tokenizer": {"file": "tokenizer.json"},
        "specialTokens": {"bos": BOS, "eos": EOS, "pad": PAD, "bosId": tok.token_to_id(BOS),
                          "eosId": tok.token_to_id(EOS), "padId": tok.token_to_id(PAD)},
        "prefix": {"length": cfg.prefix_length, "layout": cfg.prefix_layout},
        "decoder": {"layers": cfg.n_layers, "heads": cfg.n_heads, "headDim": cfg.head_dim,
                    "hiddenSize": cfg.dim, "vocabSize": cfg.vocab_size, "maxPositions": cfg.max_positions,
                    "kvLayout": "past_key_values.{i}.key|value [B, heads, past, headDim]; "
                                "position_ids count the prefix, which comes first"},
        "prompts": prompt_manifest(),
        "model": {"config": cfg.to_dict()},
        "files": {f: sha256(out / f) for f in files},
    }


def write_golden(model: Dolphin, tok, out: Path, question: str, max_new_tokens: int = 16) -> list[str]:
    """Inputs and PyTorch outputs for the TypeScript parity tests (docs/bundle.md "golden/")."""
    from .infer import Runner, _TorchBackend

    g = out / "golden"
    g.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg
    rng = np.random.default_rng(0)
    frames = rng.standard_normal((1, cfg.frames, 3, cfg.image_size, cfg.image_size), dtype=np.float32)
    specs = rng.standard_normal((1, cfg.frames, 1, cfg.mel_bins, cfg.spec_frames), dtype=np.float32)
    runner = Runner(_TorchBackend(model), tok)
    prefix = runner.prefix(frames, specs)                            # (1, P, D)
    prompt_ids = encode_prompt(tok, question)
    with torch.no_grad():
        x = torch.cat([torch.as_tensor(prefix), model.embed_tokens(torch.tensor([prompt_ids]))], dim=1)
        n = x.shape[1]
        logits, _ = model.decoder(x, torch.ones(1, n, dtype=torch.long), torch.arange(n)[None])
    greedy = runner.generate_ids(prefix, [question], max_new_tokens)[0]
    blobs = {"frames.f32": frames, "spectrograms.f32": specs, "prefix_embeds.f32": prefix,
             "logits_first.f32": logits[:, -1].numpy()}
    for name, arr in blobs.items():
        np.ascontiguousarray(arr, dtype="<f4").tofile(g / name)
    (g / "prompt_ids.json").write_text(json.dumps(prompt_ids))
    (g / "greedy_ids.json").write_text(json.dumps(greedy))
    meta = {"question": question, "prompt": None, "maxNewTokens": max_new_tokens,
            "greedyText": tok.decode(greedy, skip_special_tokens=True).strip(),
            "shapes": {k: list(v.shape) for k, v in blobs.items()},
            "prompt_ids": [len(prompt_ids)], "greedy_ids": [len(greedy)],
            "tolerance": {"prefix_embeds": 1e-4, "logits_first": 1e-4},
            "note": "little-endian float32, row-major; frames/spectrograms are already normalised model inputs"}
    from .tokenizer import render_prompt
    meta["prompt"] = render_prompt(question)
    (g / "golden.json").write_text(json.dumps(meta, indent=2))
    return [f"golden/{p.name}" for p in sorted(g.iterdir())]


def export_bundle(model: Dolphin, tok, out: str | Path, name: str, version: str = "0.1.0",
                  golden_question: str = "What sound is heard?", provenance: str = "",
                  extra: dict | None = None) -> dict:
    """Graphs, tokenizer, trainable weights (bundle_weights.py), golden files and manifest.json into `out`.
    `extra` adds top-level manifest fields (a fine-tune's `lineage`)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, out)
    tok.save(str(out / "tokenizer.json"))
    save_weights(model, out / WEIGHTS_FILE, provenance)
    files = ["av_encoder.onnx", "embed_tokens.onnx", "decoder.onnx", "tokenizer.json", WEIGHTS_FILE]
    files += write_golden(model, tok, out, golden_question)
    files += [f for f in ("eval.json", "README.md") if (out / f).exists()]
    manifest = build_manifest(model.cfg, tok, name, version, files, out)
    manifest["weights"] = weights_entry(model, provenance)
    manifest.update(extra or {})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def random_model_and_tokenizer(cfg: DolphinConfig | None = None, seed: int = 0):
    from .prompts import fallback_corpus
    from .tokenizer import train_tokenizer

    torch.manual_seed(seed)
    tok = train_tokenizer(fallback_corpus(), vocab_size=(cfg or DolphinConfig.tiny()).vocab_size)
    cfg = cfg or DolphinConfig.tiny()
    cfg.vocab_size = max(cfg.vocab_size, tok.get_vocab_size())
    return Dolphin(cfg).eval(), tok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a .pt checkpoint written by avu_trainer.train")
    src.add_argument("--random", action="store_true", help="random weights (tiny config) for pipeline tests")
    src.add_argument("--rehash", action="store_true",
                     help="only refresh manifest.json's file list and sha256s (after adding eval.json / README.md)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None)
    ap.add_argument("--version", default="0.1.0")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    if args.rehash:
        out = Path(args.out)
        manifest = json.loads((out / "manifest.json").read_text())
        files = [f for f in manifest["files"] if (out / f).exists()]
        files += [f for f in ("eval.json", "README.md") if (out / f).exists() and f not in files]
        manifest["files"] = {f: sha256(out / f) for f in files}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        print(json.dumps({"out": str(out), "files": sorted(manifest["files"])}))
        return 0
    if args.random:
        model, tok = random_model_and_tokenizer()
        name = args.name or "dolphin-random"
    else:
        from .checkpoint import load_checkpoint

        if not Path(args.checkpoint).is_file():
            print(f"export: no checkpoint at {args.checkpoint}", file=sys.stderr)
            return 2
        model, tok, _ = load_checkpoint(args.checkpoint)
        name = args.name or Path(args.out).name
    out = Path(args.out)
    if (out / "golden").exists():
        shutil.rmtree(out / "golden")
    m = export_bundle(model, tok, out, name, args.version)
    print(json.dumps({"out": str(out), "prefixLength": m["prefix"]["length"],
                      "files": {k: m["files"][k][:12] for k in m["files"]}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
