"""Recover a Dolphin's PyTorch weights from the ONNX graphs of its bundle.

The shipped dolphin-tiny was exported before bundles carried weights, and its checkpoint is gone; retraining
would give a different model. The graphs hold every weight the model uses, but the exporter renamed and
reshaped some of them (a Linear's weight becomes a transposed `onnx::MatMul_N`, an indexed row of a
parameter becomes its own constant). So: build the same architecture with a distinct random value in
every weight, export it with the same exporter, and find each exported initializer's source parameter by
its values (as is, transposed, or one row). The shipped graphs have the same structure, so the same
initializer names carry the shipped values back into those parameters. Parity on the bundle's golden/
files (tests/test_bundle_weights.py) is the proof.

    python -m avu_trainer.onnx_weights --bundle models/dolphin-tiny      # writes weights.safetensors, rehashes
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .config import DolphinConfig
from .export import export_onnx
from .model import Dolphin

GRAPHS = ("av_encoder.onnx", "embed_tokens.onnx", "decoder.onnx")


class Transform:
    """How an exported initializer was made from a parameter: 'same', 'T' (2-D transposed) or 'row' (index)."""

    def __init__(self, param: str, kind: str, index: int | None = None):
        self.param, self.kind, self.index = param, kind, index

    def __repr__(self) -> str:
        return f"{self.param}:{self.kind}{'' if self.index is None else self.index}"


def _initializers(path: Path) -> dict[str, np.ndarray]:
    proto = onnx.load(str(path))
    return {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}


def _key(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float32).tobytes()


def _candidates(state: dict[str, torch.Tensor]) -> dict[bytes, Transform]:
    out: dict[bytes, Transform] = {}
    for name, t in state.items():
        a = t.detach().cpu().numpy()
        out.setdefault(_key(a), Transform(name, "same"))
        if a.ndim == 2:
            out.setdefault(_key(a.T), Transform(name, "T"))
            for i in range(a.shape[0]):
                out.setdefault(_key(a[i]), Transform(name, "row", i))
    return out


def probe_mapping(cfg: DolphinConfig, workdir: Path, seed: int = 0) -> dict[str, dict[str, Transform]]:
    """Per graph file: exported initializer name -> the parameter (and transform) it came from."""
    torch.manual_seed(seed)
    model = Dolphin(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():                     # distinct values everywhere (no ones, no zeros)
            p.copy_(torch.randn_like(p))
    export_onnx(model, workdir)
    cands = _candidates({k: v for k, v in model.state_dict().items() if v.is_floating_point()})
    mapping: dict[str, dict[str, Transform]] = {}
    for g in GRAPHS:
        mapping[g] = {}
        for name, arr in _initializers(workdir / g).items():
            if arr.dtype != np.float32:
                continue                                 # shapes, indices, masks: not weights
            tr = cands.get(_key(arr))
            if tr is not None:
                mapping[g][name] = tr
    return mapping


def recover_state_dict(bundle: Path, workdir: Path) -> tuple[Dolphin, dict]:
    """-> (model with the bundle's weights, report {assigned, untouched, conflicts})."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    cfg = DolphinConfig.from_dict(manifest["model"]["config"])
    mapping = probe_mapping(cfg, workdir)
    model = Dolphin(cfg).eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assigned: dict[str, np.ndarray] = {}
    conflicts: list[str] = []
    for g, table in mapping.items():
        shipped = _initializers(bundle / g)
        missing = sorted(set(table) - set(shipped))
        if missing:
            raise ValueError(f"{g}: the bundle's graph lacks initializers {missing[:5]}: it was exported by "
                             "different model code, so the structure cannot be matched")
        for name, tr in table.items():
            value = shipped[name]
            full = assigned.setdefault(tr.param, np.full(tuple(state[tr.param].shape), np.nan, np.float32))
            if tr.kind == "same":
                target, idx = value, (slice(None),)
            elif tr.kind == "T":
                target, idx = value.T, (slice(None),)
            else:
                target, idx = value, (tr.index,)
            prev = full[idx]
            if not np.all(np.isnan(prev)) and not np.array_equal(prev, target):
                conflicts.append(f"{tr.param} ({g}:{name})")
            full[idx] = target
    for name, arr in assigned.items():
        if np.isnan(arr).any():
            raise ValueError(f"{name}: only part of it was found in the graphs")
        state[name] = torch.from_numpy(arr)
    model.load_state_dict(state)
    floats = [k for k, v in state.items() if v.is_floating_point()]
    report = {"assigned": sorted(assigned), "untouched": sorted(set(floats) - set(assigned)),
              "conflicts": conflicts}
    return model, report


def main(argv: list[str] | None = None) -> int:
    from .bundle_weights import add_weights_to_bundle

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    bundle = Path(args.bundle)
    with tempfile.TemporaryDirectory() as tmp:
        model, report = recover_state_dict(bundle, Path(tmp))
    if report["conflicts"]:
        print(f"onnx_weights: conflicting values for {report['conflicts'][:5]}", file=sys.stderr)
        return 1
    add_weights_to_bundle(model, bundle, provenance="recovered from the bundle's ONNX initializers "
                                                    "(avu_trainer.onnx_weights)")
    print(json.dumps({"bundle": str(bundle), "assigned": len(report["assigned"]),
                      "untouched": report["untouched"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
