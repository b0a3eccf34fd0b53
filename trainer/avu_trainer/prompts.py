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


def _from_synth() -> tuple[dict, list[dict]] | None:
    try:
        from .synth import text as synth_text  # the synth engineer's module; optional here
    except ImportError:
        return None
    tasks = getattr(synth_text, "TASK_PROMPTS", None)
    questions = getattr(synth_text, "QUESTION_TEMPLATES", None)
    if not tasks or not questions:
        return None
    return dict(tasks), list(questions)


def prompt_manifest() -> dict:
    tasks, questions = _from_synth() or (FALLBACK_TASKS, FALLBACK_QUESTIONS)
    return {"template": PROMPT_TEMPLATE, "stop": ["</s>"], "tasks": tasks, "questions": questions,
            "metaFormat": META_FORMAT}


def fallback_corpus() -> list[str]:
    """Text for a tokenizer when no synth data is at hand (random bundles, tests)."""
    words = ("a red circle rings with a high tone on the left; a blue square buzzes at the top; "
             "the sound starts at 1.5 seconds and ends at 4.0 seconds; yes no there is no such sound; "
             "calm cheerful alert outdoors indoors night sky grass field sandy beach grey room")
    lines = [PROMPT_TEMPLATE.replace("{{ question }}", q) for q in FALLBACK_TASKS.values()]
    lines += [PROMPT_TEMPLATE.replace("{{ question }}", q["q"]) for q in FALLBACK_QUESTIONS]
    return (lines + [words]) * 20
