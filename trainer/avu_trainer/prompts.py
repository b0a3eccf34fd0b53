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


# The questions AVU-Synth asks (synth/text.py qa_pairs), as templates; {shape} and {sound} are
# filled from `placeholders`. The pipeline uses these to pre-annotate a clip.
SYNTH_QUESTIONS = [
    {"subset": "multi_qa", "modality": "av", "q": "What makes the sound?"},
    {"subset": "multi_qa", "modality": "av", "q": "Is the sound in sync with the picture?"},
    {"subset": "multi_qa", "modality": "av", "q": "When does it sound?"},
    {"subset": "multi_qa", "modality": "av", "q": "What mood does the clip have?"},
    {"subset": "specific", "modality": "audio", "q": "What pitch is the sound?"},
    {"subset": "specific", "modality": "audio", "q": "What kind of sound is it?"},
    {"subset": "specific", "modality": "audio", "q": "What is the rhythm of the sound?"},
    {"subset": "specific", "modality": "audio", "q": "Which shape makes this sound?"},
    {"subset": "specific", "modality": "audio", "q": "What pitch is the {sound}?"},
    {"subset": "specific", "modality": "visual", "q": "What colour is the {shape}?"},
    {"subset": "specific", "modality": "visual", "q": "Where is the {shape}?"},
    {"subset": "specific", "modality": "visual", "q": "How big is the {shape}?"},
    {"subset": "specific", "modality": "visual", "q": "How does the {shape} move?"},
    {"subset": "specific", "modality": "visual", "q": "What is the background?"},
    {"subset": "specific", "modality": "visual", "q": "Is it indoors or outdoors?"},
    {"subset": "specific", "modality": "visual", "q": "How many shapes are there?"},
    {"subset": "specific", "modality": "visual", "q": "Which shape lights up?"},
    {"subset": "negative", "modality": "visual", "q": "What colour is the {shape}?"},
    {"subset": "negative", "modality": "audio", "q": "What pitch is the {sound}?"},
    {"subset": "tasks", "modality": "av", "q": "When does the sound event start and end?", "task": "ave"},
    {"subset": "tasks", "modality": "av", "q": "Where is the sounding object?", "task": "avl"},
    {"subset": "tasks", "modality": "av", "q": "What colour is the object making the {sound}?", "task": "avqa"},
]


def _from_synth() -> tuple[dict, list[dict], dict] | None:
    try:
        from .synth import text as synth_text
        from .synth.world import SHAPES, VOICE
    except ImportError:
        return None
    tasks = {f"caption_{m}": q for m, q in synth_text.PROMPT_CAPTION.items()}
    tasks.update({f"meta_{m}": q for m, q in synth_text.PROMPT_META.items()})
    placeholders = {"shape": list(SHAPES), "sound": [VOICE[s][1] for s in SHAPES]}
    return tasks, SYNTH_QUESTIONS, placeholders


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
