"""Sounds of an AVU-Synth world: a mono float32 waveform at 16 kHz for the whole clip.

Each shape's voice differs in timbre (sine, square wave, rising chirp, band noise); pitch sets the
fundamental (or the noise band's centre); rhythm gates the voice (continuous, 2 Hz, 5 Hz).
Outside the sound interval the clip is silent. 'noise' and 'silence' variants replace the sound
entirely; they teach the model that audio answers come from the audio.
"""
from __future__ import annotations

import numpy as np

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from .world import PITCH_HZ, World

SAMPLE_RATE_HZ = 16000
AMPLITUDE = 0.3
# A faint noise floor (about -54 dBFS) under every real clip: without it, empty mel bins sit at
# log(eps) and the AAC codec's quantisation noise moves them far, so MP4 features would drift
# from training features.
FLOOR_STD = 0.002
FADE_S = 0.005
RHYTHM_GATE = {"continuous": None, "slow beat": (0.5, 0.25), "fast beat": (0.2, 0.1)}  # period, on


def white_noise(n: int, std: float, seed: int) -> np.ndarray:
    """The white noise of the audio-reliance test (and of the 'noise' training variant)."""
    rng = np.random.default_rng([seed, 15485863])
    return np.clip(rng.normal(0.0, std, n), -1.0, 1.0).astype(np.float32)


def _voice(source: str, f0: float, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE_HZ
    if source == "circle":
        return np.sin(2 * np.pi * f0 * t)
    if source == "square":
        out = np.zeros(n)
        k = 1
        while k * f0 < SAMPLE_RATE_HZ / 2 * 0.9:  # band-limited square wave: odd harmonics
            out += np.sin(2 * np.pi * k * f0 * t) / k
            k += 2
        return out * (4 / np.pi) * 0.6
    if source == "triangle":
        # rising chirp f0 -> 2 f0, restarting every 0.25 s
        period = 0.25
        tau = np.mod(t, period)
        phase = 2 * np.pi * f0 * (tau + tau ** 2 / (2 * period))
        return np.sin(phase)
    if source == "diamond":
        spec = np.fft.rfft(rng.normal(0.0, 1.0, n))
        freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE_HZ)
        spec[(freqs < f0 * 0.7) | (freqs > f0 * 1.4)] = 0
        out = np.fft.irfft(spec, n)
        return out / (np.abs(out).max() + 1e-9)
    raise ValueError(f"no voice for shape {source!r}")


def _gate(n: int, rhythm: str) -> np.ndarray:
    g = np.ones(n)
    spec = RHYTHM_GATE[rhythm]
    if spec is not None:
        period, on = spec
        t = np.arange(n) / SAMPLE_RATE_HZ
        g = (np.mod(t, period) < on).astype(np.float64)
    # short fades at every edge so gating does not click
    k = int(FADE_S * SAMPLE_RATE_HZ)
    ramp = np.convolve(np.pad(g, (k, k)), np.ones(2 * k + 1) / (2 * k + 1), mode="valid")
    return ramp[:n] * g.clip(0, 1) if spec is not None else ramp[:n]


def speak(word: str) -> np.ndarray:
    """float32 mono 16 kHz recording of espeak-ng saying `word` (peak 1)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("speech clips need espeak-ng on PATH (apt install espeak-ng)")
    with tempfile.TemporaryDirectory(prefix="avu-speech-") as tmp:
        path = Path(tmp) / "word.wav"
        r = subprocess.run([exe, "-v", "en", "-s", "150", "-w", str(path), word], capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"espeak-ng failed: {r.stderr.decode(errors='replace')[-200:]}")
        with wave.open(str(path)) as w:
            rate, data = w.getframerate(), w.readframes(w.getnframes())
    x = np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
    import torch
    import torchaudio

    y = torchaudio.functional.resample(torch.from_numpy(x), rate, SAMPLE_RATE_HZ).numpy()
    return y / (np.abs(y).max() + 1e-9)


def _speech(world: World, n: int) -> np.ndarray:
    """The word repeated from the sound's start, once a second, while it fits before its end."""
    word = speak(world.extras["speech_word"])
    out = np.zeros(n)
    period = max(1.0, len(word) / SAMPLE_RATE_HZ + 0.2)
    t = world.sound.start_s
    while t + len(word) / SAMPLE_RATE_HZ <= world.sound.end_s + 1e-6:
        a = int(round(t * SAMPLE_RATE_HZ))
        m = min(len(word), n - a)
        out[a:a + m] += AMPLITUDE * word[:m]
        t += period
    return out


def render_audio(world: World) -> np.ndarray:
    """float32 [round(duration * 16000)] waveform."""
    n = int(round(world.duration_s * SAMPLE_RATE_HZ))
    if world.audio == "silence":
        return np.zeros(n, np.float32)
    if world.audio == "noise":
        return white_noise(n, world.noise_std, world.seed)
    rng = np.random.default_rng([world.seed, 32452843])
    if world.audio == "speech":
        return (rng.normal(0.0, FLOOR_STD, n) + _speech(world, n)).astype(np.float32)
    s = world.sound
    a, b = int(round(s.start_s * SAMPLE_RATE_HZ)), int(round(s.end_s * SAMPLE_RATE_HZ))
    b = min(b, n)
    seg = _voice(s.source, PITCH_HZ[s.pitch], b - a, rng) * _gate(b - a, s.rhythm)
    out = rng.normal(0.0, FLOOR_STD, n)
    out[a:b] += AMPLITUDE * seg
    return out.astype(np.float32)
