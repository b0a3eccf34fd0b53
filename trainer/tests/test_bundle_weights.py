"""Bundles carry trainable weights: the shipped dolphin-tiny's weights.safetensors gives its ONNX graphs'
golden outputs, exports write weights that load back, the ONNX recovery is exact, and a bad file is refused."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from avu_trainer.bundle_weights import WEIGHTS_FILE, BundleError, load_bundle_model
from avu_trainer.export import export_bundle, random_model_and_tokenizer
from avu_trainer.infer import Runner, _TorchBackend, load_model
from avu_trainer.onnx_weights import recover_state_dict
from avu_trainer.tokenizer import encode_prompt

torch.set_num_threads(2)
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "dolphin-tiny"


def golden_outputs(model, tok, bundle: Path):
    g = bundle / "golden"
    meta = json.loads((g / "golden.json").read_text())
    read = lambda n: np.fromfile(g / n, "<f4").reshape(meta["shapes"][n])  # noqa: E731
    runner = Runner(_TorchBackend(model), tok)
    prefix = runner.prefix(read("frames.f32"), read("spectrograms.f32"))
    ids = encode_prompt(tok, meta["question"])
    with torch.no_grad():
        x = torch.cat([torch.as_tensor(prefix), model.embed_tokens(torch.tensor([ids]))], dim=1)
        n = x.shape[1]
        logits, _ = model.decoder(x, torch.ones(1, n, dtype=torch.long), torch.arange(n)[None])
    greedy = runner.generate_ids(prefix, [meta["question"]], meta["maxNewTokens"])[0]
    want = {"prefix": read("prefix_embeds.f32"), "logits": read("logits_first.f32"),
            "greedy": json.loads((g / "greedy_ids.json").read_text())}
    return {"prefix": prefix, "logits": logits[:, -1].numpy(), "greedy": greedy}, want, meta["tolerance"]


def test_shipped_weights_give_the_onnx_golden_outputs():
    model, tok, manifest = load_bundle_model(SHIPPED)
    assert manifest["weights"]["file"] in manifest["files"]
    got, want, tol = golden_outputs(model, tok, SHIPPED)
    assert np.abs(got["prefix"] - want["prefix"]).max() <= tol["prefix_embeds"]
    assert np.abs(got["logits"] - want["logits"]).max() <= tol["logits_first"]
    assert got["greedy"] == want["greedy"]


def test_shipped_bundle_keeps_its_eval_figures():
    ev = json.loads((SHIPPED / "eval.json").read_text())
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    assert "eval.json" in manifest["files"] and ev["accuracy"]["specific/audio"]["score"] > 0.9


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model, tok = random_model_and_tokenizer(seed=5)
    out = tmp_path_factory.mktemp("bundle")
    export_bundle(model, tok, out, "dolphin-test")
    return model, out


def test_export_writes_weights_that_load_back(exported):
    model, out = exported
    loaded, _, manifest = load_bundle_model(out)
    assert manifest["weights"]["format"] == "safetensors"
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    onnx_runner = load_model(out)                       # and the bundle's own graphs agree with them
    rng = np.random.default_rng(2)
    f = rng.standard_normal((8, 3, 224, 224), dtype=np.float32)
    s = rng.standard_normal((8, 1, 128, 204), dtype=np.float32)
    assert np.abs(Runner(_TorchBackend(loaded), onnx_runner.tok).prefix(f, s) - onnx_runner.prefix(f, s)).max() <= 1e-4


def test_recovery_from_onnx_is_exact(tmp_path):
    # trained weights are all distinct; a fresh init is not (zero gates, unit norms), and the exporter folds
    # equal constants together, so give every weight its own values the way training does
    model, tok = random_model_and_tokenizer(seed=6)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    out = tmp_path / "bundle"
    export_bundle(model, tok, out, "dolphin-test")
    (tmp_path / "probe").mkdir()
    recovered, report = recover_state_dict(out, tmp_path / "probe")
    assert not report["conflicts"]
    # the last adapter block's extraction feeds nothing (adapter.py), so no graph holds it
    assert all(k.startswith(("adapter.vis.3.", "adapter.aud.3.")) for k in report["untouched"])
    want = model.state_dict()
    for k in report["assigned"]:
        assert torch.equal(recovered.state_dict()[k], want[k]), k


def test_a_modified_weights_file_is_refused(exported, tmp_path):
    _, out = exported
    copy = tmp_path / "b"
    shutil.copytree(out, copy)
    with open(copy / WEIGHTS_FILE, "r+b") as fh:
        fh.seek(-8, 2)
        fh.write(b"\x00" * 8)
    with pytest.raises(BundleError, match="sha256"):
        load_bundle_model(copy)


def test_a_bundle_without_weights_says_how_to_get_them(exported, tmp_path):
    _, out = exported
    copy = tmp_path / "b"
    shutil.copytree(out, copy)
    m = json.loads((copy / "manifest.json").read_text())
    del m["weights"]
    (copy / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(BundleError, match="onnx_weights"):
        load_bundle_model(copy)
