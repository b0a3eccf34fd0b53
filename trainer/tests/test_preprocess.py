"""Preprocessing recipes against direct computations, and the MP4 round trip."""
import shutil

import numpy as np
import pytest
import torch
import torchaudio

from avu_trainer import preprocess as P
from avu_trainer.synth import make_clip


def test_frames_to_tensor_matches_direct_normalisation_at_224():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (8, 224, 224, 3), dtype=np.uint8)
    got = P.frames_to_tensor(frames)
    assert got.shape == (8, 3, 224, 224) and got.dtype == torch.float32
    mean = np.array(P.CLIP_MEAN, np.float32)[:, None, None]
    std = np.array(P.CLIP_STD, np.float32)[:, None, None]
    want = (frames.transpose(0, 3, 1, 2).astype(np.float32) / 255 - mean) / std
    assert np.abs(got.numpy() - want).max() < 1e-5


def test_frames_to_tensor_resizes_short_side_and_centre_crops():
    frames = np.zeros((8, 240, 320, 3), np.uint8)
    frames[:, :, 160:] = 255  # right half white
    got = P.frames_to_tensor(frames)
    assert got.shape == (8, 3, 224, 224)
    # 320x240 -> 298x224 (torchvision truncates), crop x from 37: the white edge lands near 149 - 37 = 112
    col = got[0, 0, 100].numpy()
    assert col[100] < 0 < col[124]


def test_fbank_matches_direct_torchaudio_on_a_centred_segment():
    dur = 6.0
    t = np.arange(int(dur * 16000)) / 16000
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    got = P.waveform_to_fbank(wave, dur)
    assert got.shape == (8, 1, 128, 204)
    # segment 3 is centred on t_3 = 2.625 s and lies fully inside the clip
    a = int(round((3.5 * dur / 8 - 1.0) * 16000))
    seg = torch.from_numpy(wave[a:a + 32000].copy())
    seg = seg - seg.mean()
    fb = torchaudio.compliance.kaldi.fbank(seg[None], htk_compat=True, sample_frequency=16000,
                                           use_energy=False, window_type="hanning",
                                           num_mel_bins=128, dither=0.0, frame_length=25,
                                           frame_shift=10).T
    assert fb.shape == (128, 198)
    want = torch.nn.functional.pad(fb, (0, 6))
    want = (want + 4.268) / 9.138
    assert (got[3, 0] - want).abs().max() < 1e-4


def test_fbank_zero_pads_segments_that_leave_the_clip():
    dur = 4.0
    t = np.arange(int(dur * 16000)) / 16000
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    got = P.waveform_to_fbank(wave, dur)
    # segment 0 spans -0.75 .. 1.25 s: its first 0.75 s are zeros (log floor), the rest a tone
    floor = got[0, 0, :, 5]
    assert torch.allclose(floor, floor.min().expand(128), atol=1e-4)
    assert (got[0, 0, :, 150] - floor).max() > 0.5


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_mp4_writer_gives_decodable_h264_aac_close_to_rendered(tmp_path):
    from avu_trainer.synth.writer import write_mp4

    seed = 21
    path = write_mp4(seed, tmp_path, level="high")
    info = P.probe(path)
    import json, subprocess
    streams = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json",
                                         "-show_streams", str(path)], capture_output=True,
                                        text=True).stdout)["streams"]
    codecs = {s["codec_type"]: s["codec_name"] for s in streams}
    assert codecs == {"video": "h264", "audio": "aac"}
    clip = make_clip(seed, "high")
    assert info["durationS"] == pytest.approx(clip.duration_s, abs=1e-3)
    frames, specs, _ = P.load_clip_features(path)
    want_f = P.frames_to_tensor(clip.frames)
    want_s = P.waveform_to_fbank(clip.waveform, clip.duration_s)
    assert (frames - want_f).abs().mean() < 0.05  # codec loss only (about 1.5/255 per pixel)
    assert (specs - want_s).abs().mean() < 0.05
    gt = json.loads(path.with_suffix(".json").read_text())
    assert gt["level"] == "high" and gt["qa"] == clip.qa
