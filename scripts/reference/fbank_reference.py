"""Reference for the TypeScript fbank (src/media/fbank.ts): ImageBind's per-segment recipe around
torchaudio.compliance.kaldi.fbank (imagebind/data.py, waveform2melspec + Normalize(-4.268, 9.138)).

Usage: python fbank_reference.py IN_DIR OUT_DIR
  reads every IN_DIR/*.npy (1-D float32 16 kHz waveform), writes OUT_DIR/<same name>.npy (float32 [128, 204]),
  and OUT_DIR/<name>.f64.npy: the same computed in float64 (stored as float32).
"""
import sys
from pathlib import Path

import numpy as np
import torch
import torchaudio

SAMPLE_RATE = 16000
MEL_BINS = 128
TARGET_LENGTH = 204
MEAN, STD = -4.268, 9.138


def imagebind_melspec(waveform: np.ndarray, dtype=np.float32) -> np.ndarray:
    """One segment (1-D float32) -> normalised log-mel [128, 204], exactly as ImageBind does it.
    dtype=np.float64 runs the same torchaudio code in double precision (to see the reference's own rounding)."""
    w = torch.from_numpy(np.ascontiguousarray(waveform, dtype=dtype)).unsqueeze(0)  # (1, N)
    w = w - w.mean()
    if w.shape[1] < 400:  # shorter than one 25 ms window: kaldi.fbank gives no frames (it errors); pad only
        fbank = torch.zeros((0, MEL_BINS), dtype=w.dtype)
    else:
        fbank = torchaudio.compliance.kaldi.fbank(
            w, htk_compat=True, sample_frequency=SAMPLE_RATE, use_energy=False, window_type="hanning",
            num_mel_bins=MEL_BINS, dither=0.0, frame_length=25, frame_shift=10)
    fbank = fbank.transpose(0, 1)  # (128, T)
    p = TARGET_LENGTH - fbank.shape[1]
    if p > 0:
        fbank = torch.nn.ZeroPad2d((0, p, 0, 0))(fbank)
    elif p < 0:
        fbank = fbank[:, :TARGET_LENGTH]
    fbank = (fbank - MEAN) / STD
    return np.ascontiguousarray(fbank.numpy(), dtype=np.float32)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.npy")):
        x = np.load(f)
        assert x.ndim == 1 and x.dtype == np.float32, f"{f.name}: expected 1-D float32, got {x.shape} {x.dtype}"
        np.save(dst / f.name, imagebind_melspec(x))
        np.save(dst / (f.stem + ".f64.npy"), imagebind_melspec(x, np.float64).astype(np.float32))


if __name__ == "__main__":
    main()
