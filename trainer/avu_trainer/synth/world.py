"""The AVU-Synth world: what a clip contains, drawn deterministically from a seed.

World rules (stated in captions so a model can learn them):
- Every shape is a sound-making device with a fixed voice: circle rings (sine tone), square buzzes
  (square wave), triangle whistles (rising chirp), diamond rattles (band-limited noise bursts).
- A device lights up (white ring) exactly while it sounds, when it is in the picture and in sync.
- Pitch maps to a mood (low -> calm, middle -> cheerful, high -> alert), and so do colours
  (blue/purple -> calm, yellow/green -> cheerful, red/orange -> alert).

Consistency levels (paper 4.3):
- high:   the sounding shape is visible and lit exactly while it sounds; its colour's mood equals
          the pitch's mood.
- medium: the sounding shape is visible, beside a second (silent) shape, but never lights up (not
          in sync); the main object's mood differs from the pitch's mood. Each modality carries what the other lacks (pitch and rhythm
          vs colour, place, motion).
- low:    the sounding shape is absent from the picture; nothing lights up; moods differ.
See `text.meta_keywords` for the keyword sets that make the level recoverable.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

SHAPES = ("circle", "square", "triangle", "diamond")
# shape -> (sound event keyword, sound noun used in captions and questions)
VOICE = {
    "circle": ("ringing", "ringing tone"),
    "square": ("buzzing", "buzzing tone"),
    "triangle": ("whistling", "whistle"),
    "diamond": ("rattling", "rattle"),
}
PITCHES = ("low", "middle", "high")
PITCH_HZ = {"low": 250.0, "middle": 700.0, "high": 2000.0}
RHYTHMS = ("continuous", "slow beat", "fast beat")
RHYTHM_ACTION = {"continuous": "sustained", "slow beat": "pulsing", "fast beat": "racing"}
PITCH_MOOD = {"low": "calm", "middle": "cheerful", "high": "alert"}
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple")
COLOUR_MOOD = {"red": "alert", "orange": "alert", "yellow": "cheerful", "green": "cheerful",
               "blue": "calm", "purple": "calm"}
COLOUR_RGB = {"red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (245, 225, 40),
              "green": (40, 180, 60), "blue": (40, 90, 230), "purple": (150, 60, 200)}
SCENES = ("night sky", "grass field", "sandy beach", "grey room")
SCENE_PLACE = {"night sky": "outdoors", "grass field": "outdoors", "sandy beach": "outdoors",
               "grey room": "indoors"}
# colours that would vanish into a background
# (each scene keeps at least one colour of every mood)
SCENE_BAD_COLOURS = {"night sky": ("blue",), "grass field": ("green",),
                     "sandy beach": ("yellow",), "grey room": ()}
SCENE_PREPOSITION = {"night sky": "under", "grass field": "on", "sandy beach": "on",
                     "grey room": "in"}
SIZES = ("small", "large")
SIZE_RADIUS_PX = {"small": 16, "large": 26}
MOTIONS = ("still", "bouncing", "moving left", "moving right")
ROWS = ("top", "middle", "bottom")
COLS = ("left", "centre", "right")
CELL_CENTRE_PX = (40, 112, 184)
LEVELS = ("high", "medium", "low")
AUDIO_VARIANTS = ("real", "noise", "silence", "speech")
SPEECH_WORDS = ("hello", "listen", "welcome", "ready", "look")
LEVEL_SUBSET = {"high": "pretrain", "medium": "specific", "low": "negative"}
# 4.0 .. 7.5 s in 0.5 s steps; at 10 fps no t_i = (i + 0.5) * d / 8 then falls on a frame boundary
DURATIONS_S = tuple(x / 2 for x in range(8, 16))


def position_name(row: str, col: str) -> str:
    if row == "middle" and col == "centre":
        return "centre"
    if row == "middle":
        return col
    if col == "centre":
        return row
    return f"{row} {col}"


@dataclass
class VisualObject:
    shape: str
    colour: str
    size: str
    row: str
    col: str
    motion: str
    lit: bool  # lights up during the sound interval (only the sounding shape, only at level high)

    @property
    def position(self) -> str:
        return position_name(self.row, self.col)


@dataclass
class Sound:
    source: str  # the shape whose voice this is
    pitch: str
    rhythm: str
    start_s: float
    end_s: float

    @property
    def event(self) -> str:
        return VOICE[self.source][0]

    @property
    def noun(self) -> str:
        return VOICE[self.source][1]


@dataclass
class World:
    seed: int
    level: str
    duration_s: float
    scene: str
    objects: list[VisualObject]
    sound: Sound
    # 'real' | 'noise' | 'silence': noise and silence replace the sound (audio-reliance training);
    # 'speech': a voice (espeak-ng) repeats a word instead, for MP4 demo clips only (never trained on)
    audio: str = "real"
    noise_std: float = 0.0
    extras: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for o, od in zip(self.objects, d["objects"]):
            od["position"] = o.position
        d["sound"]["event"] = self.sound.event
        d["sound"]["noun"] = self.sound.noun
        return d

    def object(self, shape: str) -> VisualObject | None:
        return next((o for o in self.objects if o.shape == shape), None)

    @property
    def sounding_object(self) -> VisualObject | None:
        if self.audio != "real":
            return None
        return self.object(self.sound.source)

    @property
    def main_object(self) -> VisualObject:
        """The sounding object when visible, else the first object."""
        return self.sounding_object or self.objects[0]


def _frame_rule_safe(duration_s: float, bounds: tuple[float, ...], frame_s: float = 0.1) -> bool:
    """No bound b with a sampling time t_i in (b - frame_s, b): there the last video frame at or
    before t_i and the first one at or after it would disagree about whether the shape is lit, so
    a decoder taking either rule (Python's preprocess takes the first, src/media the second) sees
    the same thing. Frames are 0.1 s apart (render.FPS = 10); bounds sit on that grid."""
    times = [(i + 0.5) * duration_s / 8 for i in range(8)]
    return not any(b - frame_s + 1e-6 < t < b - 1e-6 for b in bounds for t in times)


def _choice(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def sample_world(seed: int, level: str | None = None, audio: str = "real") -> World:
    """Draw a clip's content. Same (seed, level, audio) -> same world."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if audio not in AUDIO_VARIANTS:
        raise ValueError(f"audio must be one of {AUDIO_VARIANTS}, got {audio!r}")
    rng = np.random.default_rng([seed, 7919])
    lvl = level if level is not None else _choice(rng, LEVELS)
    if audio == "speech":
        lvl = "low"  # the speaker is never in the picture
    duration = float(_choice(rng, DURATIONS_S))
    scene = _choice(rng, SCENES)

    pitch = _choice(rng, PITCHES)
    source = _choice(rng, SHAPES)
    rhythm = _choice(rng, RHYTHMS)
    half_steps = int(duration * 2)
    while True:
        length = int(rng.integers(3, half_steps - 1)) / 2  # 1.5 s .. duration-1.0 s
        start = int(rng.integers(0, int((duration - length) * 2) + 1)) / 2
        if _frame_rule_safe(duration, (start, start + length)):
            break
    sound = Sound(source, pitch, rhythm, start, start + length)

    n_obj = int(rng.integers(1, 3))
    if lvl == "medium":
        # the sounding shape has a silent companion, so the picture alone cannot tell which
        # shape (or voice) is sounding: medium-level audio questions need the audio
        n_obj = 2
    others = [s for s in SHAPES if s != source]
    rng.shuffle(others)
    if lvl == "low":
        shapes = others[:n_obj]
    else:
        shapes = [source] + others[: n_obj - 1]
        if n_obj == 2 and rng.random() < 0.5:
            shapes.reverse()
    cells = rng.permutation(9)[:n_obj]
    allowed = [c for c in COLOURS if c not in SCENE_BAD_COLOURS[scene]]
    target_mood = PITCH_MOOD[pitch]
    objects: list[VisualObject] = []
    for k, shape in enumerate(shapes):
        is_main = (shape == source) if lvl != "low" else (k == 0)
        if is_main and lvl == "high":
            pool = [c for c in allowed if COLOUR_MOOD[c] == target_mood]
        elif is_main:
            pool = [c for c in allowed if COLOUR_MOOD[c] != target_mood]
        else:
            pool = allowed
        colour = _choice(rng, pool)
        objects.append(VisualObject(
            shape=shape, colour=colour, size=_choice(rng, SIZES),
            row=ROWS[int(cells[k]) // 3], col=COLS[int(cells[k]) % 3],
            motion=_choice(rng, MOTIONS), lit=(lvl == "high" and shape == source)))
    if lvl == "low":
        # the main object of a low clip is the first one; keep its mood away from the pitch's
        assert COLOUR_MOOD[objects[0].colour] != target_mood
    noise_std = float(rng.uniform(0.03, 0.3)) if audio == "noise" else 0.0
    extras = {"speech_word": _choice(rng, SPEECH_WORDS)} if audio == "speech" else {}
    return World(seed=seed, level=lvl, duration_s=duration, scene=scene, objects=objects,
                 sound=sound, audio=audio, noise_std=noise_std, extras=extras)
