"""Greedy question answering with a trained Dolphin, from a checkpoint (PyTorch) or a bundle (onnxruntime).

    runner = load_model("models/dolphin-tiny")          # or a .pt checkpoint
    runner.answer(frames, spectrograms, ["What sound is heard?"], max_new_tokens=24)

frames f32 (8, 3, 224, 224) CLIP-normalised and spectrograms f32 (8, 1, 128, 204) normalised
(preprocess.py); a leading batch dim of 1 is accepted. The encoder runs once per clip; the
questions are decoded together, left-padded, with a KV cache.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from .tokenizer import EOS, PAD, decode_answer, encode_prompt


class _TorchBackend:
    def __init__(self, model, device: str = "cpu"):
        self.model = model.eval().to(device)
        self.device = device
        self.n_layers = model.cfg.n_layers

    @torch.no_grad()
    def encode(self, frames: np.ndarray, specs: np.ndarray) -> np.ndarray:
        f = torch.as_tensor(frames, device=self.device)
        s = torch.as_tensor(specs, device=self.device)
        return self.model.encode(f, s).cpu().numpy()

    @torch.no_grad()
    def embed(self, ids: np.ndarray) -> np.ndarray:
        return self.model.embed_tokens(torch.as_tensor(ids, device=self.device)).cpu().numpy()

    def empty_past(self, batch: int):
        return self.model.decoder.empty_cache(batch, self.device)

    @torch.no_grad()
    def decode(self, embeds, mask, pos, past):
        t = lambda a: torch.as_tensor(a, device=self.device)  # noqa: E731
        logits, present = self.model.decoder(t(embeds), t(mask), t(pos), past, logits_from=embeds.shape[1] - 1)
        return logits[:, -1].float().cpu().numpy(), present


class _OnnxBackend:
    def __init__(self, bundle_dir: Path, manifest: dict, providers: list[str] | None = None):
        import onnxruntime as ort

        providers = providers or ["CPUExecutionProvider"]
        opts = ort.SessionOptions()
        mk = lambda name: ort.InferenceSession(  # noqa: E731
            str(bundle_dir / manifest["graphs"][name]["file"]), opts, providers=providers)
        self.enc, self.emb, self.dec = mk("av_encoder"), mk("embed_tokens"), mk("decoder")
        d = manifest["decoder"]
        self.n_layers, self.heads, self.head_dim = d["layers"], d["heads"], d["headDim"]

    def encode(self, frames, specs):
        return self.enc.run(None, {"frames": frames.astype(np.float32), "spectrograms": specs.astype(np.float32)})[0]

    def embed(self, ids):
        return self.emb.run(None, {"input_ids": ids.astype(np.int64)})[0]

    def empty_past(self, batch: int):
        z = np.zeros((batch, self.heads, 0, self.head_dim), np.float32)
        return [(z, z) for _ in range(self.n_layers)]

    def decode(self, embeds, mask, pos, past):
        feed = {"inputs_embeds": embeds.astype(np.float32), "attention_mask": mask.astype(np.int64),
                "position_ids": pos.astype(np.int64)}
        for i, (k, v) in enumerate(past):
            feed[f"past_key_values.{i}.key"], feed[f"past_key_values.{i}.value"] = k, v
        out = self.dec.run(None, feed)
        present = [(out[1 + 2 * i], out[2 + 2 * i]) for i in range(self.n_layers)]
        return out[0][:, -1], present


class Runner:
    def __init__(self, backend, tokenizer: Tokenizer):
        self.backend = backend
        self.tok = tokenizer
        self.eos = tokenizer.token_to_id(EOS)
        self.pad = tokenizer.token_to_id(PAD)

    def prefix(self, frames: np.ndarray, spectrograms: np.ndarray) -> np.ndarray:
        frames, specs = np.asarray(frames, np.float32), np.asarray(spectrograms, np.float32)
        if frames.ndim == 4:
            frames, specs = frames[None], specs[None]
        assert frames.shape[0] == 1, "answer() takes one clip; batch its questions instead"
        return self.backend.encode(frames, specs)                          # (1, P, D)

    def answer(self, frames, spectrograms, questions: list[str], max_new_tokens: int = 32,
               prefix: np.ndarray | None = None) -> list[str]:
        """Greedy answers, one per question. Pass `prefix` (from .prefix()) to reuse an encoding."""
        if not questions:
            return []
        prefix = self.prefix(frames, spectrograms) if prefix is None else prefix
        return [decode_answer(self.tok, ids) for ids in self.generate_ids(prefix, questions, max_new_tokens)]

    def generate_ids(self, prefix: np.ndarray, questions: list[str], max_new_tokens: int) -> list[list[int]]:
        B, P = len(questions), prefix.shape[1]
        prompts = [encode_prompt(self.tok, q) for q in questions]
        S = max(len(p) for p in prompts)
        ids = np.full((B, S), self.pad, np.int64)
        mask = np.zeros((B, P + S), np.int64)
        for b, p in enumerate(prompts):                                    # left padding: all rows end together
            ids[b, S - len(p):] = p
            mask[b, S - len(p):] = 1
        tok_emb = self.backend.embed(ids)                                  # (B, S, D)
        embeds = np.zeros((B, P + S, tok_emb.shape[2]), np.float32)
        for b, p in enumerate(prompts):
            start = S - len(p)
            embeds[b, start:start + P] = prefix[0]
            embeds[b, start + P:] = tok_emb[b, start:]
        pos = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)
        logits, past = self.backend.decode(embeds, mask, pos, self.backend.empty_past(B))
        out: list[list[int]] = [[] for _ in range(B)]
        done = np.zeros(B, bool)
        next_pos = pos[:, -1:] + 1
        for _ in range(max_new_tokens):
            nxt = logits.argmax(-1)                                         # (B,)
            for b in range(B):
                if not done[b]:
                    out[b].append(int(nxt[b]))
                    done[b] = nxt[b] == self.eos
            if done.all():
                break
            mask = np.concatenate([mask, np.ones((B, 1), np.int64)], axis=1)
            logits, past = self.backend.decode(self.backend.embed(nxt[:, None]), mask, next_pos, past)
            next_pos = next_pos + 1
        return out


def load_model(checkpoint_or_bundle: str | Path, device: str = "cpu") -> Runner:
    """A checkpoint file (.pt) runs in PyTorch; a bundle directory (manifest.json) in onnxruntime."""
    p = Path(checkpoint_or_bundle)
    if p.is_dir():
        manifest = json.loads((p / "manifest.json").read_text())
        tok = Tokenizer.from_file(str(p / manifest["tokenizer"]["file"]))
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else None
        return Runner(_OnnxBackend(p, manifest, providers), tok)
    from .checkpoint import load_checkpoint

    model, tok, _ = load_checkpoint(p)
    return Runner(_TorchBackend(model, device), tok)
