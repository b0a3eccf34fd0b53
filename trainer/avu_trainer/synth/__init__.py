"""AVU-Synth: generated audio-visual clips with controlled content and consistency.

`make_clip(seed, level)` draws a world (`world.py`), renders its 8 sampled frames (`render.py`)
and its 16 kHz waveform (`audio.py`), and writes its meta-information, captions and Q&A
(`text.py`). `writer.py` turns clips into MP4 files or training feature shards.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import text
from .audio import SAMPLE_RATE_HZ, render_audio, white_noise
from .render import frame_times, render_frames
from .world import LEVEL_SUBSET, World, sample_world


@dataclass
class SynthClip:
    seed: int
    level: str                      # high | medium | low (low for noise/silence audio variants)
    duration_s: float
    frames: np.ndarray              # uint8 [8, 224, 224, 3] at t_i = (i + 0.5) * duration / 8
    waveform: np.ndarray            # float32 [round(duration * 16000)], mono 16 kHz
    meta: dict                      # {'audio': {field: [kw]}, 'visual': {field: [kw]}}
    captions: dict                  # {'audio', 'visual', 'av'}
    qa: list                        # [{subset, modality, q, a, (conv, turn) | (task)}]
    attributes: dict                # the world as a dict: objects, sound, scene, audio variant
    consistency: float              # text.consistency_score(meta audio, meta visual)
    audio: str = "real"             # real | noise | silence

    @property
    def subset(self) -> str:
        """The AVU subset the clip's consistency level maps to (paper 4.3)."""
        return LEVEL_SUBSET[self.level]

    def ground_truth(self) -> dict:
        """Everything but the arrays, as written next to an MP4."""
        return {"seed": self.seed, "level": self.level, "subset": self.subset,
                "audio": self.audio, "duration_s": self.duration_s,
                "frame_times_s": frame_times(self.duration_s), "meta": self.meta,
                "consistency": self.consistency, "captions": self.captions, "qa": self.qa,
                "attributes": self.attributes}


def clip_text(world: World) -> tuple[dict, dict, list, float]:
    """(meta, captions, qa, consistency) of a world, without rendering anything."""
    meta = text.meta_keywords(world)
    caps = text.captions(world)
    qa = text.qa_pairs(world, caps, meta)
    return meta, caps, qa, text.consistency_score(meta["audio"], meta["visual"])


def make_clip(seed: int, level: str | None = None, audio: str = "real") -> SynthClip:
    """A deterministic clip. `level` None draws one from the seed; `audio` 'noise' or 'silence'
    replaces the sound of the same picture (the level is then 'low')."""
    world = sample_world(seed, level, audio)
    meta, caps, qa, score = clip_text(world)
    frames = render_frames(world, frame_times(world.duration_s))
    wave = render_audio(world)
    return SynthClip(seed=seed, level=world.level if audio == "real" else "low",
                     duration_s=world.duration_s, frames=frames, waveform=wave, meta=meta,
                     captions=caps, qa=qa, attributes=world.to_dict(), consistency=score,
                     audio=audio)


__all__ = ["SynthClip", "make_clip", "clip_text", "white_noise", "SAMPLE_RATE_HZ",
           "write_feature_shards", "write_mp4", "load_feature_shard"]


def __getattr__(name: str):
    # writer imports preprocess (torch); keep `import avu_trainer.synth` light until needed
    if name in ("write_feature_shards", "write_mp4", "load_feature_shard", "write_mp4_clips"):
        from . import writer
        return getattr(writer, name)
    raise AttributeError(name)
