"""The closed vocabulary of AVU-Synth: keyword values per meta field, the answer set of every
short-answer question template, and a text corpus for tokenizer training.

    python -m avu_trainer.vocab            # prints the vocabulary as JSON

Useful beside the generator: the dataset rules can normalise keywords against `META_VOCAB`, and the
evaluation can tell a wrong answer from an answer outside the vocabulary (`in_vocabulary`).
"""
from __future__ import annotations

import json
import re
import sys
from typing import Iterator

from .synth import clip_text
from .synth.text import NOISE_ANSWER, SILENCE_ANSWER, QUESTION_TEMPLATES
from .synth.world import (COLOUR_MOOD, MOTIONS, PITCH_MOOD, PITCHES, RHYTHM_ACTION, RHYTHMS,
                          SCENE_PLACE, SCENES, SHAPES, SIZES, SPEECH_WORDS, VOICE, ROWS, COLS, position_name,
                          sample_world)

POSITIONS = tuple(position_name(r, c) for r in ROWS for c in COLS)
SOUND_NOUNS = tuple(VOICE[s][1] for s in SHAPES)

META_VOCAB = {
    "audio": {"event": sorted({VOICE[s][0] for s in SHAPES} | {"static", "speech"}),
              "object": list(SHAPES) + ["person"],
              "scene": [], "place": [], "action": sorted(set(RHYTHM_ACTION.values()) | {"speaking"}),
              "emotion": sorted(set(PITCH_MOOD.values()))},
    "visual": {"event": sorted({VOICE[s][0] for s in SHAPES} | {"idle"}), "object": list(SHAPES),
               "scene": list(SCENES), "place": sorted(set(SCENE_PLACE.values())),
               "action": list(MOTIONS), "emotion": sorted(set(COLOUR_MOOD.values()))},
}

_AUDIO_GONE = [NOISE_ANSWER, SILENCE_ANSWER]
# Answers of the short-answer templates (real audio, then the noise / silence variants).
ANSWERS: dict[str, list[str]] = {
    "What pitch is the sound?": list(PITCHES) + _AUDIO_GONE,
    "What kind of sound is it?": [f"a {n}" for n in SOUND_NOUNS] + ["speech"] + _AUDIO_GONE,
    "What does the voice say?": list(SPEECH_WORDS),
    "What is the rhythm of the sound?": list(RHYTHMS) + _AUDIO_GONE,
    "Which shape makes this sound?": [f"a {s}" for s in SHAPES] + _AUDIO_GONE
    + ["There is no shape making this sound."],
    "What pitch is the {noun}?": list(PITCHES) + ["There is no {noun} in this clip."],
    "What colour is the {shape}?": sorted(COLOUR_MOOD) + ["There is no {shape} in this clip."],
    "Where is the {shape}?": list(POSITIONS),
    "How big is the {shape}?": list(SIZES),
    "How does the {shape} move?": list(MOTIONS),
    "What is the background?": list(SCENES),
    "Is it indoors or outdoors?": sorted(set(SCENE_PLACE.values())),
    "How many shapes are there?": ["one", "two"],
    "Which shape lights up?": list(SHAPES) + ["No shape lights up."],
    "Is the sound in sync with the picture?": ["Yes.", "No."],
    "Where is the sounding object?": list(POSITIONS) + ["There is no sounding object in the picture."]
    + _AUDIO_GONE,
}


def template_of(question: str) -> tuple[str, dict[str, str]] | None:
    templates = {x["q"] for x in QUESTION_TEMPLATES} | set(ANSWERS)
    for t in sorted(templates, key=lambda t: ("{" in t, t)):  # literal templates before slotted ones
        pat = "^" + re.escape(t).replace(r"\{shape\}", "(?P<shape>[a-z]+)").replace(
            r"\{noun\}", "(?P<noun>[a-z ]+)") + "$"
        m = re.match(pat, question)
        if m:
            return t, m.groupdict()
    return None


def in_vocabulary(question: str, answer: str) -> bool | None:
    """Whether `answer` is one of the answers AVU-Synth can give to `question`; None when the
    question has no closed answer set (captions, times, moods, ...)."""
    found = template_of(question)
    if found is None or found[0] not in ANSWERS:
        return None
    template, slots = found
    options = [a.format(**slots) if "{" in a else a for a in ANSWERS[template]]
    norm = lambda s: s.lower().strip().rstrip(".")  # noqa: E731
    return norm(answer) in {norm(o) for o in options}


def corpus(count: int = 2000, seed: int = 0) -> Iterator[str]:
    """Captions, questions and answers of `count` clips, without rendering pictures or sound."""
    for i in range(count):
        for audio in ("real", "noise", "silence") if i % 20 == 0 else ("real",):
            meta, caps, qa, _ = clip_text(sample_world(seed + i, None, audio))
            yield from caps.values()
            for item in qa:
                yield item["q"]
                yield item["a"]


def words(count: int = 500) -> list[str]:
    out: set[str] = set()
    for line in corpus(count):
        out.update(re.findall(r"[a-z]+|\d+(?:\.\d+)?", line.lower()))
    return sorted(out)


def main() -> int:
    print(json.dumps({"meta": META_VOCAB, "answers": ANSWERS, "words": words()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
