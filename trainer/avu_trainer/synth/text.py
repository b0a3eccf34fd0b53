"""Words of an AVU-Synth world: meta-information, captions and Q&A for every AVU subset.

Meta-information and the intended consistency mapping
-----------------------------------------------------
Audio meta (real audio): event [voice event: ringing|buzzing|whistling|rattling], object [the
sounding shape, by its voice], action [rhythm: sustained|pulsing|racing], emotion [pitch mood:
calm|cheerful|alert]; scene and place empty. 'noise' audio: event [static]; 'silence': all empty.
Visual meta: event [voice event of the lit shape, or idle], object [visible shapes], scene
[background], place [indoors|outdoors], action [motion of the main object: still|bouncing|moving
left|moving right], emotion [colour mood of the main object]. Field vocabularies are disjoint.

`consistency_score` = Jaccard overlap of the two flattened keyword sets. By construction:
- high:   shared event, object, emotion: 3 / 7 (one shape) or 3 / 8 (two shapes) = 0.43 / 0.375
- medium: shared object only (two shapes): 1 / 10                               = 0.10
- low:    nothing shared:                0
so thresholds high >= 0.25 and medium >= 0.05 recover the level of every clip (`level_from_score`).
A per-field mean of Jaccard over the fields both modalities fill (event, object, action,
emotion) separates them too: high 0.625-0.75, medium 0.125, low 0.

Answers are short and templated; every rejection of a false premise starts with "There is no"
(the detector in `avu_trainer.eval`).
"""
from __future__ import annotations

from .world import (COLOUR_MOOD, PITCH_MOOD, RHYTHM_ACTION, SCENE_PLACE, SCENE_PREPOSITION, SHAPES,
                    VOICE, World)

META_FIELDS = ("event", "object", "scene", "place", "action", "emotion")
HIGH_THRESHOLD = 0.25
MEDIUM_THRESHOLD = 0.05

PROMPT_CAPTION = {"audio": "Describe what you hear.", "visual": "Describe what you see.",
                  "av": "Describe the clip, sound and picture together."}
PROMPT_META = {"audio": "List the audio keywords.", "visual": "List the visual keywords."}
# The bundle manifest's prompts (read by avu_trainer.prompts): fixed task prompts, and the question
# templates of every subset with their {placeholders}: {shape} a shape, {noun} a sound noun.
TASK_PROMPTS = {"caption_audio": PROMPT_CAPTION["audio"], "caption_visual": PROMPT_CAPTION["visual"],
                "caption_av": PROMPT_CAPTION["av"], "meta_audio": PROMPT_META["audio"],
                "meta_visual": PROMPT_META["visual"]}
QUESTION_TEMPLATES = [
    {"subset": "multi_qa", "modality": "av", "q": "What makes the sound?"},
    {"subset": "multi_qa", "modality": "av", "q": "Is the sound in sync with the picture?"},
    {"subset": "multi_qa", "modality": "av", "q": "When does it sound?"},
    {"subset": "multi_qa", "modality": "av", "q": "What mood does the clip have?"},
    {"subset": "specific", "modality": "audio", "q": "What pitch is the sound?"},
    {"subset": "specific", "modality": "audio", "q": "What kind of sound is it?"},
    {"subset": "specific", "modality": "audio", "q": "What is the rhythm of the sound?"},
    {"subset": "specific", "modality": "audio", "q": "Which shape makes this sound?"},
    {"subset": "specific", "modality": "audio", "q": "What pitch is the {noun}?"},
    {"subset": "specific", "modality": "visual", "q": "What colour is the {shape}?"},
    {"subset": "specific", "modality": "visual", "q": "Where is the {shape}?"},
    {"subset": "specific", "modality": "visual", "q": "How big is the {shape}?"},
    {"subset": "specific", "modality": "visual", "q": "How does the {shape} move?"},
    {"subset": "specific", "modality": "visual", "q": "What is the background?"},
    {"subset": "specific", "modality": "visual", "q": "Is it indoors or outdoors?"},
    {"subset": "specific", "modality": "visual", "q": "How many shapes are there?"},
    {"subset": "specific", "modality": "visual", "q": "Which shape lights up?"},
    {"subset": "negative", "modality": "visual", "q": "What colour is the {shape}?"},
    {"subset": "negative", "modality": "audio", "q": "What pitch is the {noun}?"},
    {"subset": "negative", "modality": "av", "q": "Where is the sounding object?"},
    {"subset": "negative", "modality": "av", "q": "What colour is the object making the {noun}?"},
    {"subset": "tasks", "modality": "av", "q": "When does the sound event start and end?"},
    {"subset": "tasks", "modality": "av", "q": "Where is the sounding object?"},
    {"subset": "tasks", "modality": "av", "q": "What colour is the object making the {noun}?"},
]
# Speech clips (MP4 demos only; the shipped model never saw speech) add these questions.
SPEECH_QUESTION_TEMPLATES = [
    {"subset": "specific", "modality": "audio", "q": "What does the voice say?"},
    {"subset": "negative", "modality": "audio", "q": "Which shape makes this sound?"},
]
RHYTHM_PHRASE = {"continuous": "continuously", "slow beat": "in a slow beat",
                 "fast beat": "in a fast beat"}
MOTION_PHRASE = {"still": "stands still", "bouncing": "bounces", "moving left": "moves left",
                 "moving right": "moves right"}
NOISE_ANSWER = "There is only white noise."
SILENCE_ANSWER = "There is no sound in this clip."


def seconds(x: float) -> str:
    return f"{x:.1f}"


def meta_keywords(w: World) -> dict[str, dict[str, list[str]]]:
    audio = {f: [] for f in META_FIELDS}
    if w.audio == "real":
        s = w.sound
        audio.update(event=[s.event], object=[s.source], action=[RHYTHM_ACTION[s.rhythm]],
                     emotion=[PITCH_MOOD[s.pitch]])
    elif w.audio == "noise":
        audio["event"] = ["static"]
    elif w.audio == "speech":
        audio.update(event=["speech"], object=["person"], action=["speaking"])
    lit = [o for o in w.objects if o.lit]
    main = w.main_object
    visual = {
        "event": [VOICE[lit[0].shape][0]] if lit else ["idle"],
        "object": [o.shape for o in w.objects],
        "scene": [w.scene],
        "place": [SCENE_PLACE[w.scene]],
        "action": [main.motion],
        "emotion": [COLOUR_MOOD[main.colour]],
    }
    return {"audio": audio, "visual": visual}


def _flat(meta: dict[str, list[str]]) -> set[str]:
    return {f"{f}:{k.strip().lower()}" for f, kws in meta.items() for k in kws}


def consistency_score(audio: dict[str, list[str]], visual: dict[str, list[str]]) -> float:
    a, v = _flat(audio), _flat(visual)
    union = a | v
    return len(a & v) / len(union) if union else 0.0


def level_from_score(score: float) -> str:
    if score >= HIGH_THRESHOLD:
        return "high"
    return "medium" if score >= MEDIUM_THRESHOLD else "low"


def format_meta(meta: dict[str, list[str]]) -> str:
    """The bundle's metaFormat: 'field: kw, kw; field: kw' (fields with keywords only)."""
    parts = [f"{f}: {', '.join(meta[f])}" for f in META_FIELDS if meta.get(f)]
    return "; ".join(parts) if parts else "none"


def _describe_object(o) -> str:
    return f"a {o.size} {o.colour} {o.shape} {MOTION_PHRASE[o.motion]} at the {o.position}"


def captions(w: World) -> dict[str, str]:
    s = w.sound
    span = f"from {seconds(s.start_s)} to {seconds(s.end_s)} seconds"
    if w.audio == "noise":
        audio = "Only white noise is heard."
    elif w.audio == "silence":
        audio = "The clip is silent."
    elif w.audio == "speech":
        audio = f'A voice repeats "{w.extras["speech_word"]}" {span}.'
    else:
        audio = f"A {s.pitch} {s.noun} sounds {RHYTHM_PHRASE[s.rhythm]} {span}."
    objs = " and ".join(_describe_object(o) for o in w.objects)
    where = f"{SCENE_PREPOSITION[w.scene]} a {w.scene}"
    visual = f"{where.capitalize()}, {objs}."
    lit = [o for o in w.objects if o.lit]
    if lit:
        visual += f" The {lit[0].shape} lights up {span}."
    src = w.sounding_object
    if w.audio == "speech":
        shown = " and ".join(f"a {o.colour} {o.shape}" for o in w.objects)
        av = (f'A voice repeats "{w.extras["speech_word"]}" {span}, but no person is in the picture, '
              f"which shows {shown} {where}.")
    elif w.audio != "real":
        av = f"{audio} {visual}"
    elif w.level == "high" and src is not None:
        av = (f"The {src.colour} {src.shape} at the {src.position} lights up and makes a {s.pitch} "
              f"{s.noun} {RHYTHM_PHRASE[s.rhythm]} {span}, {where}.")
    elif src is not None:
        av = (f"A {s.pitch} {s.noun} is heard {span}; it comes from the {src.colour} {src.shape} "
              f"at the {src.position}, which stays dark, {where}.")
    else:
        shown = " and ".join(f"a {o.colour} {o.shape}" for o in w.objects)
        av = (f"A {s.pitch} {s.noun} is heard {span}, but no {s.source} is in the picture, "
              f"which shows {shown} {where}.")
    return {"audio": audio, "visual": visual, "av": av}


def shape_negative(shape: str) -> tuple[str, str]:
    """The visual false premise about a shape that is not in the clip, and its rejection."""
    return f"What colour is the {shape}?", f"There is no {shape} in this clip."


def _qa(subset: str, modality: str, q: str, a: str, **extra) -> dict:
    return {"subset": subset, "modality": modality, "q": q, "a": a, **extra}


def _audio_unavailable(w: World) -> str | None:
    if w.audio == "noise":
        return NOISE_ANSWER
    if w.audio == "silence":
        return SILENCE_ANSWER
    return None


def qa_pairs(w: World, caps: dict[str, str], meta: dict) -> list[dict]:
    """Q&A for every subset (see module docstring). Deterministic for a world."""
    s = w.sound
    src = w.sounding_object
    no_audio = _audio_unavailable(w)
    span = f"from {seconds(s.start_s)} to {seconds(s.end_s)} seconds"
    out: list[dict] = []

    # AVU-Pretrain: the three captions and the two keyword lists
    for m in ("audio", "visual", "av"):
        out.append(_qa("pretrain", m, PROMPT_CAPTION[m], caps[m]))
    for m in ("audio", "visual"):
        out.append(_qa("pretrain", m, PROMPT_META[m], format_meta(meta[m])))

    # AVU-Multi Q&A: one conversation, four turns about both modalities
    if w.audio == "speech":
        who, sync, when = "A person, who is not in the picture.", "No.", \
            f"From {seconds(s.start_s)} to {seconds(s.end_s)} seconds."
    elif no_audio:
        who, sync, when = no_audio, "No.", no_audio
    elif src is not None:
        who, sync, when = f"The {src.colour} {src.shape} at the {src.position}.", \
            ("Yes." if src.lit else "No."), f"From {seconds(s.start_s)} to {seconds(s.end_s)} seconds."
    else:
        who, sync, when = f"A {s.source}, which is not in the picture.", "No.", \
            f"From {seconds(s.start_s)} to {seconds(s.end_s)} seconds."
    v_mood = COLOUR_MOOD[w.main_object.colour]
    if no_audio or w.audio == "speech":
        mood = f"The picture is {v_mood}."
    elif w.level == "high" and src is not None:
        mood = f"{PITCH_MOOD[s.pitch].capitalize()}."
    else:
        mood = f"The sound is {PITCH_MOOD[s.pitch]} but the picture is {v_mood}."
    for turn, (q, a) in enumerate([("What makes the sound?", who),
                                   ("Is the sound in sync with the picture?", sync),
                                   ("When does it sound?", when),
                                   ("What mood does the clip have?", mood)]):
        out.append(_qa("multi_qa", "av", q, a, conv=0, turn=turn))

    # AVU-Specific, audio: only the audio can answer these
    real_noun = s.noun
    speech_qa = [("What kind of sound is it?", "speech"),
                 ("What does the voice say?", w.extras.get("speech_word", ""))]
    for q, a in speech_qa if w.audio == "speech" else [("What pitch is the sound?", s.pitch),
                 ("What kind of sound is it?", f"a {s.noun}"),
                 ("What is the rhythm of the sound?", s.rhythm),
                 ("Which shape makes this sound?", f"a {s.source}"),
                 (f"What pitch is the {real_noun}?", s.pitch)]:
        if no_audio and q.startswith(f"What pitch is the {real_noun}"):
            continue  # names a sound that is not there: the negatives below cover it
        out.append(_qa("specific", "audio", q, no_audio or a))

    # AVU-Specific, visual: only the picture can answer these
    for o in w.objects:
        for q, a in [(f"What colour is the {o.shape}?", o.colour),
                     (f"Where is the {o.shape}?", o.position),
                     (f"How big is the {o.shape}?", o.size),
                     (f"How does the {o.shape} move?", o.motion)]:
            out.append(_qa("specific", "visual", q, a))
    lit = [o for o in w.objects if o.lit]
    for q, a in [("What is the background?", w.scene),
                 ("Is it indoors or outdoors?", SCENE_PLACE[w.scene]),
                 ("How many shapes are there?", "one" if len(w.objects) == 1 else "two"),
                 ("Which shape lights up?", lit[0].shape if lit else "No shape lights up.")]:
        out.append(_qa("specific", "visual", q, a))

    # AVU-Negatives: false premises, rejected
    present = {o.shape for o in w.objects}
    absent = [x for x in SHAPES if x not in present]
    pick = absent[w.seed % len(absent)]
    out.append(_qa("negative", "visual", *shape_negative(pick)))
    tone_free = no_audio or w.audio == "speech"
    other_nouns = [VOICE[x][1] for x in SHAPES if tone_free or x != s.source]
    noun = other_nouns[(w.seed // 7) % len(other_nouns)]
    out.append(_qa("negative", "audio", f"What pitch is the {noun}?",
                   f"There is no {noun} in this clip."))

    # AVU-Tasks (AVE, AVL, AVQA styles); the AVL/AVQA ones become negatives when the source is absent
    out.append(_qa("tasks", "av", "When does the sound event start and end?", no_audio or span,
                   task="ave"))
    if w.audio == "speech":
        out.append(_qa("negative", "audio", "Which shape makes this sound?",
                       "There is no shape making this sound."))
        out.append(_qa("negative", "av", "Where is the sounding object?",
                       "There is no sounding object in the picture."))
    elif no_audio:
        out.append(_qa("tasks", "av", "Where is the sounding object?", no_audio, task="avl"))
    elif src is not None:
        out.append(_qa("tasks", "av", "Where is the sounding object?", src.position, task="avl"))
        out.append(_qa("tasks", "av", f"What colour is the object making the {s.noun}?",
                       src.colour, task="avqa"))
    else:
        out.append(_qa("negative", "av", "Where is the sounding object?",
                       "There is no sounding object in the picture."))
        out.append(_qa("negative", "av", f"What colour is the object making the {s.noun}?",
                       f"There is no {s.source} in the picture."))
    return out
