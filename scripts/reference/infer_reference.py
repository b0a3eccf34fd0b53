"""Python reference for `avu bench` (inference part): the same work as src/inference, in onnxruntime for
Python with the trainer's preprocessing (avu_trainer.preprocess), so the bench can report ratios.

The same work as the TypeScript pipeline: bundle load (manifest + sha256 of every file + sessions),
per clip features (avu_trainer.preprocess) -> encoder once -> the 3 captions and 2 meta answers
decoded together -> the manifest's questions filled from the meta and decoded together, greedy, with
the trainer's own Runner (avu_trainer.infer: left-padded batches, KV cache). Decode tokens/s is a
single-row greedy loop of --decode-tokens steps (EOS ignored), as in the TypeScript bench.

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
        # As src/inference/runtime.ts: no busy-waiting between runs.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
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


ALIASES = {"shape": ("visual", "object"), "noun": ("audio", "event")}
PLACEHOLDER = re.compile(r"\{(?:(audio|visual)\.)?([a-z_]+)\}")


def fill(q: str, meta: dict, modality: str, subset: str, vocabulary: dict | None = None) -> list[str]:
    """src/inference/pipeline.ts fillQuestions, line for line."""
    slots = list(PLACEHOLDER.finditer(q))
    if not slots:
        return [q]
    choices = []
    for m in slots:
        mod, name = m.group(1), m.group(2)
        alias = ALIASES.get(name)
        field = alias[1] if alias else (name if name in META_FIELDS else None)
        if field is None:
            return []
        src = [mod] if mod else ([alias[0]] if alias else (["visual", "audio"] if modality == "av" else [modality]))
        if subset == "negative":
            other = {"audio": "visual", "visual": "audio"}
            c = [kw for s in src for kw in meta[other[s]][field] if kw not in meta[s][field]]
            if not c:
                reported = meta["audio"][field] + meta["visual"][field]
                values = (vocabulary or {}).get(name, [])
                c = [v for v in values if v not in reported] if any(v in reported for v in values) else []
        else:
            c = [kw for s in src for kw in meta[s][field]]
        if not c:
            return []
        choices.append(c)
    out: list[str] = []
    for i in range(2):
        it = iter(choices)
        filled = PLACEHOLDER.sub(lambda _m: (lambda c: c[min(i, len(c) - 1)])(next(it)), q)
        if filled not in out:
            out.append(filled)
    return out


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


def annotate(model: Model, runner, clip: str, max_new: int) -> dict:
    """The trainer's own inference path (avu_trainer.infer.Runner on the bundle): the encoder once,
    then the prompts of each dependency level decoded together, left-padded."""
    t0 = time.perf_counter()
    frames, specs, _info = load_clip_features(clip)
    t1 = time.perf_counter()
    prefix = runner.prefix(frames.numpy(), specs.numpy())
    t2 = time.perf_counter()
    tasks = model.m["prompts"]["tasks"]
    stats = {"generatedTokens": 0}
    first_at = None

    def run(questions):
        nonlocal first_at
        if not questions:
            return []
        ids = runner.generate_ids(prefix, questions, max_new)
        first_at = first_at or time.perf_counter()
        stats["generatedTokens"] += sum(len(x) for x in ids)
        from avu_trainer.tokenizer import decode_answer
        return [decode_answer(runner.tok, x) for x in ids]

    # First token: the trainer's Runner has no streaming; time one short prefill+step of the first batch.
    t_ft = time.perf_counter()
    runner.generate_ids(prefix, [tasks["caption_audio"]], 1)
    first_token_ms = (t2 - t0) * 1000 + ms(t_ft)
    ca, cv, cav, ma, mv = run([tasks["caption_audio"], tasks["caption_visual"], tasks["caption_av"],
                               tasks["meta_audio"], tasks["meta_visual"]])
    meta = {"audio": parse_meta(ma), "visual": parse_meta(mv)}
    asked = [f for q in model.m["prompts"]["questions"] for f in fill(q["q"], meta, q["modality"], q["subset"], model.m["prompts"].get("placeholders"))]
    answers = run(asked)
    end = time.perf_counter()
    return {"clip": clip, "featuresMs": (t1 - t0) * 1000, "encoderMs": (t2 - t1) * 1000,
            "firstTokenMs": first_token_ms, "totalMs": (end - t0) * 1000, **stats,
            "captions": {"audio": ca, "visual": cv, "av": cav}, "qa": [{"q": q, "a": a} for q, a in zip(asked, answers)]}


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
    load_ms = ms(t0)  # manifest, sha256 of every file, three sessions, tokenizer: what the TS load does
    from avu_trainer.infer import load_model
    runner = load_model(a.model)
    # The Runner's backend runs on the sessions loaded above (same options as the TypeScript side).
    runner.backend.enc, runner.backend.emb, runner.backend.dec = model.enc, model.emb, model.dec
    results = []
    t_folder = time.perf_counter()
    for c in a.clips:
        results.append(annotate(model, runner, c, a.max_tokens))
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
