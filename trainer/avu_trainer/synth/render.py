"""Pictures of an AVU-Synth world: one RGB uint8 frame for any time t.

The MP4 writer and the feature writer both call `render_frame`, so a feature frame equals the
decoded MP4 frame up to codec loss. Frames are quantised to the video frame rate (`frame_time`):
the picture shown at time t is the one rendered for the last video frame at or before t.
"""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from .world import CELL_CENTRE_PX, COLOURS, COLOUR_RGB, SIZE_RADIUS_PX, World, VisualObject

SIZE_PX = 224
FPS = 10
MOVE_SPAN_PX = 28     # total horizontal drift of a moving object over the clip
BOUNCE_PX = 12        # height of a bounce
RING_PX = 5           # width of the white ring of a lit object


def frame_time(t: float, fps: int = FPS) -> float:
    """Presentation time of the video frame on screen at time t."""
    return math.floor(t * fps + 1e-6) / fps


def frame_times(duration_s: float, count: int = 8) -> list[float]:
    """The paper's sampling times t_i = (i + 0.5) * duration / count."""
    return [(i + 0.5) * duration_s / count for i in range(count)]


def _background(world: World) -> Image.Image:
    rng = np.random.default_rng([world.seed, 104729])
    s = SIZE_PX
    img = np.zeros((s, s, 3), np.uint8)
    if world.scene == "night sky":
        img[:] = (14, 20, 48)
        for _ in range(40):
            y, x = rng.integers(0, s, 2)
            img[y:y + 2, x:x + 2] = (235, 235, 250)
    elif world.scene == "grass field":
        img[:] = (60, 130, 50)
        for x in range(0, s, 6):
            h = int(rng.integers(6, 16))
            for y0 in range(int(rng.integers(0, 20)), s, 24):
                img[y0:y0 + h, x:x + 2] = (40, 100, 35)
    elif world.scene == "sandy beach":
        img[:] = (222, 196, 150)
        for y in range(8, s, 16):
            phase = rng.uniform(0, 2 * math.pi)
            xs = np.arange(s)
            ys = (y + 3 * np.sin(xs / 9.0 + phase)).astype(int).clip(0, s - 1)
            img[ys, xs] = (195, 165, 120)
    else:  # grey room: floor tiles
        img[:] = (128, 128, 128)
        img[::32, :] = (100, 100, 100)
        img[:, ::32] = (100, 100, 100)
    return Image.fromarray(img)


def object_centre(obj: VisualObject, t: float, duration_s: float) -> tuple[float, float]:
    x = float(CELL_CENTRE_PX[("left", "centre", "right").index(obj.col)])
    y = float(CELL_CENTRE_PX[("top", "middle", "bottom").index(obj.row)])
    frac = t / duration_s - 0.5  # -0.5 .. 0.5 over the clip
    if obj.motion == "moving left":
        x -= MOVE_SPAN_PX * frac
    elif obj.motion == "moving right":
        x += MOVE_SPAN_PX * frac
    elif obj.motion == "bouncing":
        # four bounces per clip, phased so the sampled frames t_i alternate between the top of a
        # bounce and the ground (a fixed rate would alias: at 1 Hz and 4 s every t_i sees 0.71)
        y -= BOUNCE_PX * abs(math.sin(4 * math.pi * t / duration_s + math.pi / 4))
    return x, y


def _shape_points(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if shape == "square":
        return [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    if shape == "triangle":
        return [(cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)]
    if shape == "diamond":
        return [(cx, cy - r * 1.15), (cx + r, cy), (cx, cy + r * 1.15), (cx - r, cy)]
    raise ValueError(f"no polygon for shape {shape!r}")


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float,
                rgb: tuple[int, int, int]) -> None:
    if shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=rgb)
    else:
        draw.polygon(_shape_points(shape, cx, cy, r), fill=rgb)


def is_lit(world: World, obj: VisualObject, t: float) -> bool:
    return obj.lit and world.sound.start_s <= t < world.sound.end_s


def render_frame(world: World, t: float) -> np.ndarray:
    """uint8 [224, 224, 3] picture at time t (quantised to the video frame rate)."""
    tq = frame_time(t)
    img = _background(world)
    draw = ImageDraw.Draw(img)
    for obj in world.objects:
        cx, cy = object_centre(obj, tq, world.duration_s)
        r = SIZE_RADIUS_PX[obj.size]
        if is_lit(world, obj, tq):
            _draw_shape(draw, obj.shape, cx, cy, r + RING_PX, (255, 255, 255))
        _draw_shape(draw, obj.shape, cx, cy, r, COLOUR_RGB[obj.colour])
    return np.asarray(img, dtype=np.uint8).copy()


def render_frames(world: World, times: list[float]) -> np.ndarray:
    return np.stack([render_frame(world, t) for t in times])


assert set(COLOUR_RGB) == set(COLOURS)
