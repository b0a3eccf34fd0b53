"""Prompt templates written to the bundle manifest (docs/bundle.md "prompts").

The task and question wording comes from AVU-Synth's text module when it offers it, so the
pipeline asks the shipped model exactly what it was trained on; the fallbacks below keep export
working without it (random bundles, tests).
"""
from __future__ import annotations

from .tokenizer import PROMPT_TEMPLATE

FALLBACK_TASKS = {
    "caption_audio": "Describe what you hear.",
    "caption_visual": "Describe what you see.",
    "caption_av": "Describe the clip, sound and picture together.",
    "meta_audio": "List the audio keywords.",
    "meta_visual": "List the visual keywords.",
}
FALLBACK_QUESTIONS = [
    {"subset": "specific", "modality": "audio", "q": "What sound is heard?"},
    {"subset": "specific", "modality": "visual", "q": "What colour is the object?"},
    {"subset": "multi_qa", "modality": "av", "q": "Which object makes the sound?"},
]
META_FORMAT = "field: kw, kw; field: kw"


# The Tasks questions carry the task they stand for (src/dataset/tasks reads it).
TASK_OF_QUESTION = {"When does the sound event start and end?": "ave", "Where is the sounding object?": "avl",
                    "What colour is the object making the {sound}?": "avqa"}


def synth_questions(templates: list[dict]) -> list[dict]:
    """AVU-Synth's question templates (synth/text.py QUESTION_TEMPLATES) as the pipeline asks them: {noun}
    becomes the manifest's {sound} placeholder, and the AV negatives are left out because their wording is the
    Tasks questions' (one question, asked once; a false premise shows in its answer)."""
    out = []
    for t in templates:
        if t["subset"] == "negative" and t["modality"] == "av":
            continue
        q = {**t, "q": t["q"].replace("{noun}", "{sound}")}
        if t["subset"] == "tasks":
            q["task"] = TASK_OF_QUESTION[q["q"]]
        out.append(q)
    return out


def _from_synth() -> tuple[dict, list[dict], dict] | None:
    try:
        from .synth import text as synth_text
        from .synth.world import SHAPES, VOICE
    except ImportError:
        return None
    tasks = {f"caption_{m}": q for m, q in synth_text.PROMPT_CAPTION.items()}
    tasks.update({f"meta_{m}": q for m, q in synth_text.PROMPT_META.items()})
    placeholders = {"shape": list(SHAPES), "sound": [VOICE[s][1] for s in SHAPES]}
    return tasks, synth_questions(synth_text.QUESTION_TEMPLATES), placeholders


def prompt_manifest() -> dict:
    tasks, questions, placeholders = _from_synth() or (FALLBACK_TASKS, FALLBACK_QUESTIONS, {})
    return {"template": PROMPT_TEMPLATE, "stop": ["</s>"], "tasks": tasks, "questions": questions,
            "placeholders": placeholders, "metaFormat": META_FORMAT,
            "rejectionPrefix": "There is no"}


def fallback_corpus() -> list[str]:
    """Text for a tokenizer when no synth data is at hand (random bundles, tests)."""
    words = ("a red circle rings with a high tone on the left; a blue square buzzes at the top; "
             "the sound starts at 1.5 seconds and ends at 4.0 seconds; yes no there is no such sound; "
             "calm cheerful alert outdoors indoors night sky grass field sandy beach grey room")
    lines = [PROMPT_TEMPLATE.replace("{{ question }}", q) for q in FALLBACK_TASKS.values()]
    lines += [PROMPT_TEMPLATE.replace("{{ question }}", q["q"]) for q in FALLBACK_QUESTIONS]
    return (lines + [words]) * 20
