"""avu_trainer.finetune on a tiny fine-tune set: it starts from the base bundle's weights, trains only what the
stage trains (instruction: all but the encoders; pretrain: adapter, merging, projectors), and writes a bundle
with weights, lineage and the held-out items."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from avu_trainer.bundle_weights import load_bundle_model
from avu_trainer.export import export_bundle, random_model_and_tokenizer
from avu_trainer.finetune import FinetuneConfig, run

torch.set_num_threads(2)


def write_set(d: Path) -> Path:
    (d / "arrays").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for i, split in enumerate(["train", "train", "heldout"]):
        f = rng.standard_normal((8, 3, 224, 224), dtype=np.float32)
        s = rng.standard_normal((8, 1, 128, 204), dtype=np.float32)
        np.save(d / "arrays" / f"c{i}.frames.npy", f)
        np.save(d / "arrays" / f"c{i}.spectrograms.npy", s)
        items = [{"q": "What kind of sound is it?", "a": "speech", "subset": "specific", "modality": "audio"},
                 {"q": "Describe what you hear.", "a": 'A voice repeats "hello".', "subset": "pretrain",
                  "modality": "audio"}]
        lines.append({"id": f"c{i}", "clip": f"c{i}.mp4", "split": split, "frames": f"arrays/c{i}.frames.npy",
                      "spectrograms": f"arrays/c{i}.spectrograms.npy", "items": items})
    (d / "clips.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    (d / "heldout.jsonl").write_text(json.dumps({"clip": "c2.mp4", **lines[2]["items"][0]}) + "\n")
    return d


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    model, tok = random_model_and_tokenizer(seed=4)
    out = tmp_path_factory.mktemp("base")
    export_bundle(model, tok, out, "dolphin-base")
    return out


def finetune(base: Path, tmp: Path, stage: str) -> Path:
    job = {"base": str(base), "set": str(write_set(tmp / "set")), "out": str(tmp / "new"), "stage": stage,
           "name": "dolphin-new", "lineage": {"base": {"name": "dolphin-base"}}, "replayCache": str(tmp / "replay"),
           "config": {"replay_share": 0.0, "instruction": {"steps": 2, "batch_clips": 2},
                      "pretrain": {"steps": 2, "batch_clips": 2}, "log_every": 1}}
    run(job)
    return tmp / "new"


def changed(a: dict, b: dict, prefix: tuple[str, ...]) -> bool:
    return any(not torch.equal(a[k], b[k]) for k in a if k.startswith(prefix))


def test_instruction_trains_all_but_the_encoders(base, tmp_path):
    out = finetune(base, tmp_path, "instruction")
    old = load_bundle_model(base)[0].state_dict()
    new_model, _, manifest = load_bundle_model(out)
    new = new_model.state_dict()
    assert not changed(old, new, ("vis_enc.", "aud_enc.")), "the encoders stay frozen"
    assert changed(old, new, ("decoder.",)) and changed(old, new, ("proj_av.",))
    lineage = manifest["lineage"]
    assert lineage["base"]["name"] == "dolphin-base" and lineage["stage"] == "instruction"
    assert lineage["metrics"]["stages"]["instruction"]["steps"] == 2
    assert lineage["metrics"]["heldout_loss"]["base"] is not None
    assert "heldout.jsonl" in manifest["files"] and (out / "golden" / "golden.json").exists()


def test_pretrain_trains_the_connector_only(base, tmp_path):
    out = finetune(base, tmp_path, "pretrain")
    old = load_bundle_model(base)[0].state_dict()
    new = load_bundle_model(out)[0].state_dict()
    assert not changed(old, new, ("vis_enc.", "aud_enc.", "decoder."))
    assert changed(old, new, ("adapter.", "proj_video.", "proj_audio.", "proj_av.", "merge."))


def test_config_names_unknown_fields():
    with pytest.raises(ValueError, match="replay_shar"):
        FinetuneConfig.from_dict({"replay_shar": 0.5})
    with pytest.raises(ValueError, match="replay_share"):
        FinetuneConfig.from_dict({"replay_share": 1.0})
