"""The ONNX bundle matches PyTorch: logits within 1e-4, identical greedy tokens, valid manifest."""
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from avu_trainer.export import export_bundle, random_model_and_tokenizer
from avu_trainer.infer import Runner, _TorchBackend, load_model

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    model, tok = random_model_and_tokenizer(seed=3)
    out = tmp_path_factory.mktemp("bundle")
    manifest = export_bundle(model, tok, out, "dolphin-test")
    return model, tok, out, manifest


def test_manifest_hashes_and_graph_names(bundle):
    model, _, out, manifest = bundle
    assert json.loads((out / "manifest.json").read_text()) == json.loads(json.dumps(manifest))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    for g in manifest["graphs"].values():
        proto = onnx.load(str(out / g["file"]), load_external_data=False)
        assert proto.opset_import[0].version >= 17
        assert [i.name for i in proto.graph.input] == [x["name"] for x in g["inputs"]]
        assert [o.name for o in proto.graph.output] == [x["name"] for x in g["outputs"]]
    assert manifest["prefix"]["length"] == sum(x["count"] for x in manifest["prefix"]["layout"])
    assert manifest["decoder"]["layers"] == model.cfg.n_layers


def test_onnx_matches_pytorch(bundle):
    model, tok, out, _ = bundle
    ort_runner = load_model(out)
    torch_runner = Runner(_TorchBackend(model), tok)
    rng = np.random.default_rng(1)
    f = rng.standard_normal((8, 3, 224, 224), dtype=np.float32)
    s = rng.standard_normal((8, 1, 128, 204), dtype=np.float32)
    p_t, p_o = torch_runner.prefix(f, s), ort_runner.prefix(f, s)
    assert np.abs(p_t - p_o).max() <= 1e-4
    # prefill logits over a left-padded batch of two prompts (past = 0), then one cached step
    qs = ["What sound is heard?", "Describe what you see."]
    for runner, p in ((torch_runner, p_t), (ort_runner, p_o)):
        runner._ids = runner.generate_ids(p, qs, 10)
    assert torch_runner._ids == ort_runner._ids
    be_t, be_o = torch_runner.backend, ort_runner.backend
    ids = np.array([[1, 5, 7, 9]], np.int64)
    emb = np.concatenate([p_t, be_t.embed(ids)], axis=1)
    n = emb.shape[1]
    mask, pos = np.ones((1, n), np.int64), np.arange(n)[None]
    lt, past_t = be_t.decode(emb, mask, pos, be_t.empty_past(1))
    lo, past_o = be_o.decode(emb, mask, pos, be_o.empty_past(1))
    assert np.abs(lt - lo).max() <= 1e-4
    step = be_t.embed(np.array([[11]]))
    mask2, pos2 = np.ones((1, n + 1), np.int64), np.array([[n]])
    lt2, _ = be_t.decode(step, mask2, pos2, past_t)
    lo2, _ = be_o.decode(step, mask2, pos2, past_o)
    assert np.abs(lt2 - lo2).max() <= 1e-4


def test_golden_files_replay(bundle):
    _, tok, out, _ = bundle
    g = json.loads((out / "golden" / "golden.json").read_text())
    runner = load_model(out)
    frames = np.fromfile(out / "golden" / "frames.f32", "<f4").reshape(g["shapes"]["frames.f32"])
    specs = np.fromfile(out / "golden" / "spectrograms.f32", "<f4").reshape(g["shapes"]["spectrograms.f32"])
    prefix = runner.prefix(frames, specs)
    want = np.fromfile(out / "golden" / "prefix_embeds.f32", "<f4").reshape(prefix.shape)
    assert np.abs(prefix - want).max() <= 1e-4
    ids = runner.generate_ids(prefix, [g["question"]], g["maxNewTokens"])[0]
    assert ids == json.loads((out / "golden" / "greedy_ids.json").read_text())


SHIPPED = Path(__file__).resolve().parents[2] / "models" / "dolphin-tiny"


@pytest.mark.skipif(not (SHIPPED / "manifest.json").exists(), reason="models/dolphin-tiny not exported yet")
def test_shipped_bundle_hashes_and_parity():
    """The committed bundle: every hash matches, and onnxruntime reproduces the PyTorch golden outputs."""
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((SHIPPED / name).read_bytes()).hexdigest() == digest, name
    g = json.loads((SHIPPED / "golden" / "golden.json").read_text())
    runner = load_model(SHIPPED)
    read = lambda n: np.fromfile(SHIPPED / "golden" / n, "<f4").reshape(g["shapes"][n])  # noqa: E731
    prefix = runner.prefix(read("frames.f32"), read("spectrograms.f32"))
    assert np.abs(prefix - read("prefix_embeds.f32")).max() <= 1e-4
    prompt = json.loads((SHIPPED / "golden" / "prompt_ids.json").read_text())
    emb = np.concatenate([prefix, runner.backend.embed(np.array([prompt]))], axis=1)
    n = emb.shape[1]
    logits, _ = runner.backend.decode(emb, np.ones((1, n), np.int64), np.arange(n)[None], runner.backend.empty_past(1))
    assert np.abs(logits - read("logits_first.f32")).max() <= 1e-4
    ids = runner.generate_ids(prefix, [g["question"]], g["maxNewTokens"])[0]
    assert ids == json.loads((SHIPPED / "golden" / "greedy_ids.json").read_text())
