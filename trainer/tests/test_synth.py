"""AVU-Synth: determinism, consistency levels, Q&A coverage."""
import numpy as np
import pytest

from avu_trainer.synth import make_clip
from avu_trainer.synth.text import (consistency_score, level_from_score, HIGH_THRESHOLD,
                                    MEDIUM_THRESHOLD)
from avu_trainer.synth.world import LEVELS


def test_same_seed_same_clip_and_different_seed_differs():
    a, b, c = make_clip(123), make_clip(123), make_clip(124)
    assert np.array_equal(a.frames, b.frames)
    assert np.array_equal(a.waveform, b.waveform)
    assert a.qa == b.qa and a.captions == b.captions and a.meta == b.meta
    assert not (np.array_equal(a.frames, c.frames) and a.qa == c.qa)


def test_clip_shapes_and_types():
    c = make_clip(5)
    assert c.frames.shape == (8, 224, 224, 3) and c.frames.dtype == np.uint8
    assert c.waveform.dtype == np.float32
    assert c.waveform.shape == (int(round(c.duration_s * 16000)),)
    assert 4.0 <= c.duration_s <= 7.5
    assert set(c.captions) == {"audio", "visual", "av"}
    assert set(c.meta) == {"audio", "visual"}
    for m in c.meta.values():
        assert set(m) == {"event", "object", "scene", "place", "action", "emotion"}


@pytest.mark.parametrize("level", LEVELS)
def test_forced_level_is_recovered_from_keyword_overlap(level):
    for seed in range(60):
        c = make_clip(seed, level)
        assert c.level == level
        score = consistency_score(c.meta["audio"], c.meta["visual"])
        assert level_from_score(score) == level, (seed, score)


def test_levels_are_clearly_separated():
    scores = {lvl: [] for lvl in LEVELS}
    for seed in range(300):
        c = make_clip(seed)
        scores[c.level].append(c.consistency)
    assert all(len(v) > 50 for v in scores.values())  # drawn levels are balanced-ish
    assert min(scores["high"]) >= HIGH_THRESHOLD + 0.1
    assert MEDIUM_THRESHOLD + 0.04 <= min(scores["medium"]) <= max(scores["medium"]) <= HIGH_THRESHOLD - 0.1
    assert max(scores["low"]) == 0.0


def test_high_means_sounding_object_visible_and_lit_low_means_absent():
    for seed in range(40):
        h, m, lo = make_clip(seed, "high"), make_clip(seed, "medium"), make_clip(seed, "low")
        src = h.attributes["sound"]["source"]
        assert any(o["shape"] == src and o["lit"] for o in h.attributes["objects"])
        src = m.attributes["sound"]["source"]
        assert any(o["shape"] == src and not o["lit"] for o in m.attributes["objects"])
        src = lo.attributes["sound"]["source"]
        assert all(o["shape"] != src for o in lo.attributes["objects"])


def test_lit_object_shows_a_white_ring_only_during_the_sound():
    c = make_clip(11, "high")
    s = c.attributes["sound"]
    lit_frames = [(i + 0.5) * c.duration_s / 8 for i in range(8)]
    white = [(f == 255).all(-1).sum() for f in c.frames]
    inside = [w for t, w in zip(lit_frames, white) if s["start_s"] <= (int(t * 10 + 1e-6) / 10) < s["end_s"]]
    outside = [w for t, w in zip(lit_frames, white) if not s["start_s"] <= (int(t * 10 + 1e-6) / 10) < s["end_s"]]
    assert inside and min(inside) > 100
    assert all(w < min(inside) / 2 for w in outside)


def test_audio_is_silent_outside_the_sound_interval():
    c = make_clip(3)
    s = c.attributes["sound"]
    a, b = int(s["start_s"] * 16000), int(s["end_s"] * 16000)
    inside = np.abs(c.waveform[a:b]).max()
    before = np.abs(c.waveform[:a]).max() if a > 0 else 0.0
    assert inside > 0.1 and before < 0.02


def test_qa_covers_every_subset_with_rejections_only_in_negatives():
    for seed in range(30):
        c = make_clip(seed)
        subsets = {q["subset"] for q in c.qa}
        assert subsets == {"pretrain", "multi_qa", "specific", "negative", "tasks"}
        turns = [q["turn"] for q in c.qa if q["subset"] == "multi_qa"]
        assert turns == list(range(len(turns))) and len(turns) >= 3
        for q in c.qa:
            rejects = q["a"].lower().startswith("there is no")
            assert rejects == (q["subset"] == "negative"), q
        mods = {(q["subset"], q["modality"]) for q in c.qa}
        assert ("specific", "audio") in mods and ("specific", "visual") in mods


def test_noise_and_silence_variants_keep_the_picture_and_change_audio_answers():
    real, noise, silent = make_clip(9, "medium"), make_clip(9, "medium", "noise"), make_clip(9, "medium", "silence")
    assert np.array_equal(real.frames, noise.frames) and np.array_equal(real.frames, silent.frames)
    assert noise.level == silent.level == "low"
    assert not silent.waveform.any()
    vis = lambda c: [(q["q"], q["a"]) for q in c.qa if q["subset"] == "specific" and q["modality"] == "visual"]
    assert vis(real) == vis(noise) == vis(silent)
    aud = lambda c: {q["q"]: q["a"] for q in c.qa if q["subset"] == "specific" and q["modality"] == "audio"}
    assert aud(noise)["What pitch is the sound?"] != aud(real)["What pitch is the sound?"]


def test_every_generated_question_matches_a_published_template():
    import re

    from avu_trainer.synth.text import QUESTION_TEMPLATES, TASK_PROMPTS

    pats = {(t["subset"], t["modality"], re.compile("^" + re.escape(t["q"]).replace(r"\{shape\}", "(circle|square|triangle|diamond)").replace(r"\{noun\}", "(ringing tone|buzzing tone|whistle|rattle)") + "$")) for t in QUESTION_TEMPLATES}
    for seed in range(40):
        for q in make_clip(seed).qa:
            if q["subset"] == "pretrain":
                assert q["q"] in TASK_PROMPTS.values()
                continue
            assert any(s == q["subset"] and m == q["modality"] and p.match(q["q"]) for s, m, p in pats), q


def test_lit_state_at_t_i_does_not_depend_on_the_decoders_frame_rule():
    # Python's preprocess takes the last frame at or before t_i, src/media the first at or after
    import math

    from avu_trainer.synth.render import FPS, frame_times, is_lit
    from avu_trainer.synth.world import sample_world

    for seed in range(300):
        w = sample_world(seed, "high")
        obj = next(o for o in w.objects if o.lit)
        for t in frame_times(w.duration_s):
            before = math.floor(t * FPS + 1e-6) / FPS
            after = math.ceil(t * FPS - 1e-6) / FPS
            assert is_lit(w, obj, before) == is_lit(w, obj, after), (seed, t)


def test_committed_samples_match_the_generator():
    import json
    from pathlib import Path

    from avu_trainer.synth.world import LEVELS

    samples = sorted((Path(__file__).resolve().parents[2] / "samples" / "avu-synth").glob("*.json"))
    assert len(samples) == 12
    levels = []
    for k, path in enumerate(samples):
        gt = json.loads(path.read_text())
        assert gt["level"] == LEVELS[k % 3]  # made with --balanced
        clip = make_clip(gt["seed"], gt["level"])
        assert gt == json.loads(json.dumps({**clip.ground_truth(), "clip": path.with_suffix(".mp4").name}))
        assert path.with_suffix(".mp4").stat().st_size > 10_000
        levels.append(gt["level"])
    assert {lvl: levels.count(lvl) for lvl in LEVELS} == {"high": 4, "medium": 4, "low": 4}


@pytest.mark.skipif(__import__("shutil").which("espeak-ng") is None, reason="needs espeak-ng")
def test_speech_clips_are_low_consistency_with_a_voice_in_the_interval():
    from avu_trainer.synth.text import SPEECH_QUESTION_TEMPLATES

    c = make_clip(5, "high", "speech")
    assert c.level == "low" and c.consistency == 0.0
    assert not any(o["lit"] for o in c.attributes["objects"])
    s = c.attributes["sound"]
    a, b = int(s["start_s"] * 16000), int(s["end_s"] * 16000)
    assert np.abs(c.waveform[a:b]).max() > 0.1 and np.abs(c.waveform[:a]).max(initial=0) < 0.02
    word = c.attributes["extras"]["speech_word"]
    assert f'"{word}"' in c.captions["audio"]
    assert {"q": "What does the voice say?", "a": word} in [{"q": q["q"], "a": q["a"]} for q in c.qa]
    for q in c.qa:
        assert q["a"].lower().startswith("there is no") == (q["subset"] == "negative"), q
    assert {t["q"] for t in SPEECH_QUESTION_TEMPLATES} <= {q["q"] for q in c.qa}


def test_motion_is_visible_in_the_eight_sampled_frames():
    import math
    from dataclasses import replace

    from avu_trainer.synth.render import frame_time, frame_times, object_centre
    from avu_trainer.synth.world import DURATIONS_S

    from avu_trainer.synth.world import sample_world

    obj = replace(sample_world(3).objects[0], row="middle", col="centre")
    for d in DURATIONS_S:
        for pick in (frame_time, lambda t: math.ceil(t * 10 - 1e-6) / 10):  # either decoder frame rule
            ys = [object_centre(replace(obj, motion="bouncing"), pick(t), d)[1] for t in frame_times(d)]
            assert all(abs(a - b) >= 8 for a, b in zip(ys, ys[1:])), (d, ys)
            xs = [object_centre(replace(obj, motion="moving right"), pick(t), d)[0] for t in frame_times(d)]
            assert all(b > a for a, b in zip(xs, xs[1:])) and xs[-1] - xs[0] >= 20
            still = {object_centre(replace(obj, motion="still"), pick(t), d) for t in frame_times(d)}
            assert len(still) == 1
