"""Audio-visual interleaved merging (paper section 3.2, eq. 6), spatial tokens, and the projectors.

Inside frame t's AV group:
  V_t^temp = CrossAttn(A_t, V_t, V_t)   audio queries read the picture -> one visual-context token
  A_t^temp = CrossAttn(V_t, A_t, A_t)   visual queries read the sound  -> one audio-context token
Each side's queries are averaged to one token, so each frame condenses to 2 tokens, interleaved
(v_1, a_1, v_2, a_2, ...), and go through the joint AV projector.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .adapter import NormCrossAttn
from .encoders import pool_matrix


def build_projector(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    """LLaVA's projector choice, by name (appendix D.5 keeps the 2-layer GELU MLP)."""
    if kind == "mlp2x_gelu":
        return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim))
    if kind == "linear":
        return nn.Linear(in_dim, out_dim)
    raise ValueError(f"unknown projector type {kind!r}; expected 'mlp2x_gelu' or 'linear'")


class SpatialTokens(nn.Module):
    """Average over time, then pool the patch grid to `out` (None keeps every patch)."""

    def __init__(self, grid: tuple[int, int], out: tuple[int, int] | None):
        super().__init__()
        m = pool_matrix(grid, out) if out is not None else torch.eye(grid[0] * grid[1])
        self.register_buffer("pool", m, persistent=False)    # (S, L)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.mean(dim=1)                                     # (B, T, L, D) -> (B, L, D)
        return self.pool @ x                                  # (B, S, D)


class InterleavedMerge(nn.Module):
    def __init__(self, dim: int, heads: int, bidir_context: bool, interleaved: bool):
        super().__init__()
        self.bidir_context = bidir_context
        self.interleaved = interleaved
        if bidir_context and interleaved:
            self.v_ctx = NormCrossAttn(dim, dim, heads, dim)  # audio queries over visual keys
            self.a_ctx = NormCrossAttn(dim, dim, heads, dim)  # visual queries over audio keys

    def forward(self, V: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        """V (B, T, Lv, D), A (B, T, La, D) -> (B, 2T, D): v_1, a_1, ..., v_T, a_T.
        Without interleaving: (B, 2T, D) = v_1..v_T, a_1..a_T (chronological per modality)."""
        B, T, Lv, D = V.shape
        if not self.interleaved:
            return torch.cat([V.mean(2), A.mean(2)], dim=1)   # (B, 2T, D)
        Vg, Ag = V.reshape(B * T, Lv, D), A.reshape(B * T, -1, D)   # one AV group per frame
        if self.bidir_context:
            v_tok = self.v_ctx(Ag, Vg).mean(1)                # (BT, D) eq. 6, visual tokens in audio context
            a_tok = self.a_ctx(Vg, Ag).mean(1)                # (BT, D) audio tokens in visual context
        else:
            v_tok, a_tok = Vg.mean(1), Ag.mean(1)
        return torch.stack([v_tok, a_tok], dim=1).reshape(B, 2 * T, D)  # interleaved per frame
