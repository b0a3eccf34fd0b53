"""Independent reference for the frame tensor (src/media/frames.ts): ffmpeg decodes the full-size RGB frame
(the first frame at or after each timestamp, decoding from the start, no seeking), PIL resizes the shorter side
to 224 with bicubic, torchvision-style centre crop, /255, CLIP normalisation.

Usage: python frames_reference.py CLIP OUT.npy T0 T1 ... T7   (writes float32 [T, 3, 224, 224])
"""
import subprocess
import sys

import numpy as np
from PIL import Image

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
SIZE = 224


def full_frame(clip: str, t: float) -> Image.Image:
    select = f"select='gte(t\\,{t:.6f})*not(gte(prev_t\\,{t:.6f}))',showinfo"
    p = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "info", "-i", clip, "-map", "0:v:0",
                        "-vf", select, "-vsync", "0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                       capture_output=True, check=True)
    info = [l for l in p.stderr.decode().splitlines() if "Parsed_showinfo" in l and " s:" in l]
    w, h = (int(v) for v in info[0].split(" s:")[1].split()[0].split("x"))
    return Image.fromarray(np.frombuffer(p.stdout, np.uint8)[: w * h * 3].reshape(h, w, 3))


def preprocess(img: Image.Image) -> np.ndarray:
    w, h = img.size
    nw, nh = (SIZE, int(SIZE * h / w)) if w <= h else (int(SIZE * w / h), SIZE)
    img = img.resize((nw, nh), Image.BICUBIC)
    left, top = int(round((nw - SIZE) / 2.0)), int(round((nh - SIZE) / 2.0))
    x = np.asarray(img.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32) / 255.0  # (224, 224, 3)
    return ((x - MEAN) / STD).transpose(2, 0, 1)  # (3, 224, 224)


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    clip, out, times = sys.argv[1], sys.argv[2], [float(t) for t in sys.argv[3:]]
    np.save(out, np.stack([preprocess(full_frame(clip, t)) for t in times]).astype(np.float32))


if __name__ == "__main__":
    main()
