"""Python reference for `avu bench` (inference part): the same work as src/inference, in onnxruntime for
Python with the trainer's preprocessing (avu_trainer.preprocess), so the bench can report ratios.

Mirrors the TypeScript pipeline step for step: bundle load (manifest + sha256 of every file + three
sessions), per clip features -> encoder -> prefix prefill -> every prompt (3 captions, 2 meta, the
manifest's questions) greedy from the prefix KV cache, stopping at EOS / stop strings / the budget.

    python scripts/reference/infer_reference.py --model DIR --max-tokens 48 [--decode-tokens 64] CLIP [CLIP...]

Prints one JSON object on stdout (times in ms).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from jinja2 import Template
from tokenizers import Tokenizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "trainer"))
from avu_trainer.preprocess import load_clip_features  # noqa: E402

META_FIELDS = ("event", "object", "scene", "place", "action", "emotion")
EMBED_TABLE_MAX_VALUES = 16 * 1024 * 1024


def ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


class Model:
    def __init__(self, bundle: Path, threads: int):
        self.dir = bundle
        self.m = json.loads((bundle / "manifest.json").read_text())
        for f, want in self.m["files"].items():
            h = hashlib.sha256()
            with open(bundle / f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            if h.hexdigest() != want:
                raise SystemExit(f"{bundle / f} does not match its sha256")
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = threads
        mk = lambda g: ort.InferenceSession(str(bundle / self.m["graphs"][g]["file"]), opts,  # noqa: E731
                                            providers=["CPUExecutionProvider"])
        self.enc, self.emb, self.dec = mk("av_encoder"), mk("embed_tokens"), mk("decoder")
        self.tok = Tokenizer.from_file(str(bundle / self.m["tokenizer"]["file"]))
        self.template = Template(self.m["prompts"]["template"])
        d = self.m["decoder"]
        self.L, self.H, self.hd, self.D, self.V = d["layers"], d["heads"], d["headDim"], d["hiddenSize"], d["vocabSize"]
        self.table = None
        if self.V * self.D <= EMBED_TABLE_MAX_VALUES:
            self.table = self.emb.run(None, {"input_ids": np.arange(self.V, dtype=np.int64)[None]})[0][0]
        self.eos = {self.m["specialTokens"]["eosId"]}
        for s in self.m["prompts"]["stop"]:
            i = self.tok.token_to_id(s)
            if i is not None:
                self.eos.add(i)

    def embed(self, ids: list[int]) -> np.ndarray:
        if self.table is not None:
            return self.table[np.asarray(ids)][None]
        return self.emb.run(None, {"input_ids": np.asarray([ids], np.int64)})[0]

    def forward(self, embeds: np.ndarray, past: list[np.ndarray], length: int):
        s = embeds.shape[1]
        feed = {"inputs_embeds": embeds.astype(np.float32, copy=False),
                "attention_mask": np.ones((1, length + s), np.int64),
                "position_ids": np.arange(length, length + s, dtype=np.int64)[None]}
        for i in range(self.L):
            feed[f"past_key_values.{i}.key"], feed[f"past_key_values.{i}.value"] = past[2 * i], past[2 * i + 1]
        out = self.dec.run(None, feed)
        return out[0][0, -1].copy(), out[1:], length + s

    def empty(self):
        return [np.zeros((1, self.H, 0, self.hd), np.float32) for _ in range(2 * self.L)]

    def generate(self, past, length, question: str, max_new: int, ignore_eos: bool = False):
        stops = self.m["prompts"]["stop"]
        ids_prompt = self.tok.encode(self.template.render(question=question), add_special_tokens=False).ids
        t0 = time.perf_counter()
        logits, past, length = self.forward(self.embed(ids_prompt), past, length)
        prefill = ms(t0)
        t0 = time.perf_counter()
        ids: list[int] = []
        first = time.perf_counter()
        while True:
            nxt = int(np.argmax(logits))
            ids.append(nxt)
            if len(ids) == 1:
                first = time.perf_counter()
            text = self.tok.decode(ids, skip_special_tokens=True)
            if not ignore_eos and nxt in self.eos:
                break
            if len(ids) >= max_new or (not ignore_eos and any(s and s in text for s in stops)):
                break
            logits, past, length = self.forward(self.embed([nxt]), past, length)
        text = self.tok.decode([i for i in ids if i not in self.eos], skip_special_tokens=True)
        for s in stops:
            if s and s in text:
                text = text[: text.index(s)]
        return text.strip(), len(ids), prefill, ms(t0), first


def fill(q: str, meta: dict, modality: str):
    ok = True

    def sub(mt):
        nonlocal ok
        mod, field = mt.group(1), mt.group(2)
        src = [meta[mod]] if mod else ([meta["visual"], meta["audio"]] if modality == "av" else [meta[modality]])
        kw = next((m[field][0] for m in src if m[field]), None)
        ok = ok and kw is not None
        return kw or ""
    out = re.sub(r"\{(?:(audio|visual)\.)?(event|object|scene|place|action|emotion)\}", sub, q)
    return out if ok else None


def parse_meta(answer: str) -> dict:
    meta = {f: [] for f in META_FIELDS}
    for part in answer.split(";"):
        if ":" not in part:
            continue
        field, kws = part.split(":", 1)
        field = field.strip().lower()
        if field in meta:
            for kw in kws.split(","):
                kw = kw.strip().lower().rstrip(".")
                if kw and kw not in meta[field]:
                    meta[field].append(kw)
    return meta


def annotate(model: Model, clip: str, max_new: int) -> dict:
    t0 = time.perf_counter()
    frames, specs, _info = load_clip_features(clip)
    t1 = time.perf_counter()
    prefix = model.enc.run(None, {"frames": frames.numpy()[None].astype(np.float32),
                                  "spectrograms": specs.numpy()[None].astype(np.float32)})[0]
    t2 = time.perf_counter()
    _, past, length = model.forward(prefix, model.empty(), 0)
    t3 = time.perf_counter()
    tasks = model.m["prompts"]["tasks"]
    stats = {"generatedTokens": 0, "decodeMs": 0.0, "prefillMs": 0.0, "decodeSteps": 0}
    first_at = None

    def run(q):
        nonlocal first_at
        text, n, prefill, decode, first = model.generate(past, length, q, max_new)
        first_at = first_at or first
        stats["generatedTokens"] += n
        stats["decodeSteps"] += max(0, n - 1)
        stats["decodeMs"] += decode
        stats["prefillMs"] += prefill
        return text

    captions = {m: run(tasks[f"caption_{m}"]) for m in ("audio", "visual", "av")}
    meta = {m: parse_meta(run(tasks[f"meta_{m}"])) for m in ("audio", "visual")}
    qa = []
    for q in model.m["prompts"]["questions"]:
        filled = fill(q["q"], meta, q["modality"])
        if filled is not None:
            qa.append({"q": filled, "a": run(filled)})
    end = time.perf_counter()
    return {"clip": clip, "featuresMs": (t1 - t0) * 1000, "encoderMs": (t2 - t1) * 1000, "prefixMs": (t3 - t2) * 1000,
            "firstTokenMs": ((first_at or end) - t0) * 1000, "totalMs": (end - t0) * 1000, **stats,
            "captions": captions, "qa": qa}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--decode-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("clips", nargs="+")
    a = ap.parse_args()
    t0 = time.perf_counter()
    model = Model(Path(a.model), a.threads)
    load_ms = ms(t0)
    results = []
    t_folder = time.perf_counter()
    for c in a.clips:
        results.append(annotate(model, c, a.max_tokens))
    folder_s = time.perf_counter() - t_folder
    # Decode throughput: a fixed number of greedy steps from a prefix, EOS ignored.
    frames, specs, _ = load_clip_features(a.clips[0])
    prefix = model.enc.run(None, {"frames": frames.numpy()[None], "spectrograms": specs.numpy()[None]})[0]
    _, past, length = model.forward(prefix, model.empty(), 0)
    _, n, _, decode_ms, _ = model.generate(past, length, model.m["prompts"]["tasks"]["caption_av"], a.decode_tokens, True)
    print(json.dumps({
        "loadMs": load_ms, "clips": results, "folderS": folder_s, "clipsPerS": len(a.clips) / folder_s,
        "decodeTokensPerS": (n - 1) / (decode_ms / 1000) if decode_ms > 0 else 0.0,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
