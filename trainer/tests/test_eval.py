"""Evaluation metrics on hand-written answers, and the evaluation loop with a fake runner."""
import shutil

import pytest

from avu_trainer import eval as E


def test_normalise_ignores_case_punctuation_and_leading_articles_but_keeps_decimals():
    assert E.normalise("  The Top Left. ") == "top left"
    assert E.normalise("A ringing tone!") == "ringing tone"
    assert E.normalise("From 1.5 to 3.0 seconds.") == "from 1.5 to 3.0 seconds"
    assert E.exact_match("High.", "high")
    assert E.exact_match("a circle", "circle")
    assert not E.exact_match("top", "top left")
    assert not E.exact_match("1.5", "15")


def test_rejection_detector():
    assert E.is_rejection("There is no dog in this clip.")
    assert E.is_rejection("there are no whistles here")
    assert not E.is_rejection("No shape lights up.")
    assert not E.is_rejection("red")
    assert not E.is_rejection("There is only white noise.")


def test_keyword_f1():
    gold = "A high whistle sounds in a fast beat from 1.5 to 4.0 seconds."
    assert E.keyword_f1(gold, gold) == 1.0
    assert E.keyword_f1("", gold) == 0.0
    # gold content words: high whistle sounds fast beat 1.5 4.0 seconds (8);
    # predicted: high whistle slow beat (4), of which 3 are in the gold
    f1 = E.keyword_f1("A high whistle in a slow beat", gold)
    p, r = 3 / 4, 3 / 8
    assert f1 == pytest.approx(2 * p * r / (p + r))


def test_temporal_iou():
    assert E.temporal_iou("from 1.5 to 3.0 seconds", "from 1.5 to 3.0 seconds") == 1.0
    assert E.temporal_iou("from 2.0 to 3.0 seconds", "from 1.0 to 3.0 seconds") == pytest.approx(0.5)
    assert E.temporal_iou("I don't know", "from 1.0 to 3.0 seconds") == 0.0


def _rec(subset, modality, gold, pred, **kw):
    r = {"clip": "c", "level": "medium", "subset": subset, "modality": modality, "q": "?",
         "gold": gold, "pred": pred, **E.score_item({"subset": subset, "a": gold, **kw}, pred)}
    return r


def test_summarise_counts_rejections_reliance_and_acceptance():
    recs = [
        _rec("specific", "audio", "high", "high", ) | {"pred_noise": "There is only white noise.", "pred_silence": "There is no sound in this clip."},
        _rec("specific", "audio", "low", "middle") | {"pred_noise": "middle", "pred_silence": "There is no sound in this clip."},
        _rec("specific", "visual", "red", "red") | {"pred_noise": "red", "pred_silence": "red"},
        _rec("specific", "visual", "top", "top") | {"pred_noise": "top left", "pred_silence": "top"},
        _rec("negative", "visual", "There is no diamond in this clip.", "There is no diamond."),
        _rec("negative", "audio", "There is no whistle in this clip.", "low"),
        _rec("tasks", "av", "from 1.0 to 3.0 seconds", "There is no sound.", task="ave"),
        _rec("pretrain", "audio", "A low ringing tone.", "A low ringing tone."),
    ]
    s = E.summarise(recs)
    assert s["accuracy"]["specific/audio"]["score"] == 0.5
    assert s["accuracy"]["specific/visual"]["score"] == 1.0
    assert s["accuracy"]["pretrain/audio"]["metric"] == "keyword_f1"
    assert s["negatives"]["rejection_rate"] == 0.5
    assert s["negatives"]["false_rejection_rate"] == pytest.approx(1 / 6, abs=1e-4)
    assert s["audio_reliance"]["audio"]["changed_under_noise"] == 0.5
    assert s["audio_reliance"]["audio"]["changed_under_silence"] == 1.0
    assert s["audio_reliance"]["visual"]["changed_under_noise"] == 0.5
    acc = s["acceptance"]
    assert acc["specific_visual_accuracy"]["pass"] is True
    assert acc["specific_audio_accuracy"]["pass"] is False and acc["all_pass"] is False
    assert s["answers_in_vocabulary"] is None  # the hand-written questions above have no template
    table = E.ablation_table({"full": s, "no_adapter": s})
    assert [r["model"] for r in table] == ["full", "no_adapter"]


class _OracleRunner:
    """Answers from the ground truth, but audio questions only when it 'hears' real audio."""

    def __init__(self, gt_by_q, real_spec):
        self.gt, self.real = gt_by_q, real_spec

    def answer(self, frames, spectrograms, questions, max_new_tokens):
        real = bool((spectrograms - self.real).abs().max() == 0)
        return [self.gt[q][0] if (real or self.gt[q][1] != "audio") else "There is only white noise."
                for q in questions]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_evaluate_runners_end_to_end_on_two_mp4_clips(tmp_path):
    from avu_trainer.synth.writer import write_mp4

    for seed, level in ((1, "medium"), (2, "low")):
        write_mp4(seed, tmp_path, level=level)
    clips = E.list_clips(tmp_path)
    assert len(clips) == 2
    all_records = []
    for path, gt in clips:
        real = E.clip_inputs(str(path))["spec"]["real"]
        runner = _OracleRunner({q["q"]: (q["a"], q["modality"]) for q in gt["qa"]}, real)
        recs = E.evaluate_runners({"full": runner}, [(path, gt)], workers=1)["full"]
        all_records += recs
    s = E.summarise(all_records)
    assert s["accuracy"]["specific/audio"]["score"] == 1.0
    assert s["negatives"]["rejection_rate"] == 1.0
    assert s["negatives"]["false_rejection_rate"] == 0.0
    assert s["answers_in_vocabulary"] == 1.0
    assert s["by_question"]["specific/visual: What colour is the {shape}?"]["score"] == 1.0
    assert s["audio_reliance"]["audio"]["changed_under_noise"] == 1.0
    assert s["audio_reliance"]["visual"]["changed_under_noise"] == 0.0


class _ParrotRunner:
    """Says the first answer it was taught for each question, whatever the media."""

    def __init__(self, answers):
        self.answers = answers

    def answer(self, frames, spectrograms, questions, max_new_tokens):
        assert tuple(frames.shape) == (8, 3, 224, 224) and tuple(spectrograms.shape) == (8, 1, 128, 204)
        return [self.answers.get(q, "red") for q in questions]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_cli_writes_eval_json_with_ablation_table(tmp_path, monkeypatch):
    import json
    import sys
    import types

    fake = types.ModuleType("avu_trainer.infer")
    fake.load_model = lambda path: _ParrotRunner({"What pitch is the sound?": "low"} if "full" in str(path) else {})
    monkeypatch.setitem(sys.modules, "avu_trainer.infer", fake)
    out = tmp_path / "eval.json"
    rc = E.main(["--model", "full.pt", "--clips", str(tmp_path / "clips"), "--generate", "2",
                 "--seed", "77", "--out", str(out), "--ablation", "no_adapter=abl.pt", "--workers", "1"])
    assert rc == 0
    res = json.loads(out.read_text())
    assert res["n_clips"] == 2 and sum(res["levels"].values()) == 2
    assert [r["model"] for r in res["ablations"]["table"]] == ["full", "no_adapter"]
    assert res["audio_reliance"]["audio"]["changed_under_noise"] == 0.0  # a parrot ignores the audio
    assert set(res["acceptance"]) >= {"specific_audio_accuracy", "negative_rejection_rate", "all_pass"}
