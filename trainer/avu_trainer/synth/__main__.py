"""python -m avu_trainer.synth --out DIR --count N --seed S --mode mp4|features"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .world import LEVELS


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m avu_trainer.synth", description=__doc__)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--count", type=int, required=True, help="number of clips")
    p.add_argument("--seed", type=int, default=0, help="seed of the first clip (clip i: seed + i)")
    p.add_argument("--mode", choices=("mp4", "features"), default="mp4")
    p.add_argument("--level", choices=LEVELS, default=None, help="force one consistency level")
    p.add_argument("--balanced", action="store_true",
                   help="mp4 mode: cycle the levels high, medium, low instead of drawing them")
    p.add_argument("--speech-fraction", type=float, default=0.0,
                   help="mp4 mode: fraction of clips where a voice (espeak-ng) replaces the shape's "
                        "sound (level low; demos only, never in training features)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shard-size", type=int, default=256, help="clips per feature shard")
    p.add_argument("--noise-fraction", type=float, default=None,
                   help="features mode: fraction of clips whose sound is replaced by white noise")
    p.add_argument("--silence-fraction", type=float, default=None,
                   help="features mode: fraction of clips whose sound is replaced by silence")
    a = p.parse_args(argv)
    if a.count < 1:
        print("error: --count must be at least 1", file=sys.stderr)
        return 2
    from . import writer

    out = Path(a.out)
    t0 = time.time()
    if a.mode == "mp4":
        names = writer.write_mp4_clips(out, a.count, a.seed, a.workers, a.level, a.balanced,
                                         a.speech_fraction)
    else:
        kw = {}
        if a.noise_fraction is not None:
            kw["noise_fraction"] = a.noise_fraction
        if a.silence_fraction is not None:
            kw["silence_fraction"] = a.silence_fraction
        names = writer.write_feature_shards(out, a.count, a.seed, a.shard_size, a.workers,
                                            level=a.level, **kw)
    el = time.time() - t0
    print(json.dumps({"mode": a.mode, "out": str(out), "count": a.count, "items": len(names),
                      "seconds": round(el, 1), "clips_per_s": round(a.count / max(el, 1e-9), 2),
                      "bytes": _dir_bytes(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
