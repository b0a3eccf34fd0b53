"""Feature shards: contents equal the preprocessing of the clip; interrupted runs resume."""
import json

import numpy as np
import torch

from avu_trainer import preprocess as P
from avu_trainer.synth import make_clip
from avu_trainer.synth.writer import audio_variant, load_feature_shard, write_feature_shards


def test_feature_shards_hold_preprocessed_clips_and_resume(tmp_path):
    names = write_feature_shards(tmp_path, count=3, seed=500, shard_size=2, workers=1)
    assert names == ["shard-00000", "shard-00001"]
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["count"] == 3 and index["shards"] == names
    shard = load_feature_shard(tmp_path / "shard-00000")
    assert shard["frames"].shape == (2, 8, 3, 224, 224) and shard["frames"].dtype == torch.float32
    assert shard["spectrograms"].shape == (2, 8, 1, 128, 204)
    rec = shard["records"][1]
    assert rec["seed"] == 501
    clip = make_clip(501, None, audio_variant(501, 0.10, 0.05))
    assert rec["qa"] == clip.qa and rec["audio"] == clip.audio
    assert torch.equal(shard["frames"][1], P.frames_to_tensor(clip.frames))
    assert torch.allclose(shard["spectrograms"][1], P.waveform_to_fbank(clip.waveform, clip.duration_s))
    # a rerun keeps finished shards untouched
    before = (tmp_path / "shard-00001" / "frames.npy").stat().st_mtime_ns
    write_feature_shards(tmp_path, count=3, seed=500, shard_size=2, workers=1)
    assert (tmp_path / "shard-00001" / "frames.npy").stat().st_mtime_ns == before


def test_audio_variants_are_deterministic_with_the_requested_fractions():
    v = [audio_variant(s, 0.10, 0.05) for s in range(4000)]
    assert v == [audio_variant(s, 0.10, 0.05) for s in range(4000)]
    assert abs(v.count("noise") / 4000 - 0.10) < 0.02
    assert abs(v.count("silence") / 4000 - 0.05) < 0.015
