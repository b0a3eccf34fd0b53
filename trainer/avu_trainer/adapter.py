"""Audio-visual multi-scale adapter (paper section 3.1, eqs. 2-5).

Per block i and per modality (visual shown; audio mirrors it with the roles swapped):
  av^i      = v^i + CrossAttn(v^i, A^i, A^i)              eq. 2, audio-guided multi-scale visual features
  V_hat^i   = V^i + beta^i * CrossAttn(V^i, av^i, av^i)   eq. 3, beta initialised to 0
  V^{i+1}   = ViT-Block^i(V_hat^i)                        eq. 4, the frozen encoder block
  v_hat^i   = v^i + CrossAttn(v^i, V^{i+1}, V^{i+1})      eq. 5
  v^{i+1}   = v_hat^i + FFN(v_hat^i)
Eq. 2 is written without a residual; we keep one, as ViT-Adapter's injector does, so the pyramid
keeps its own spatial content. Every attention input is pre-normalised.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .encoders import MLP, Attention


class NormCrossAttn(nn.Module):
    def __init__(self, q_dim: int, kv_dim: int, heads: int, inner_dim: int):
        super().__init__()
        self.ln_q = nn.LayerNorm(q_dim)
        self.ln_kv = nn.LayerNorm(kv_dim)
        self.attn = Attention(q_dim, heads, kv_dim=kv_dim, inner_dim=inner_dim)

    def forward(self, q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
        return self.attn(self.ln_q(q), self.ln_kv(kv))


class ModalityAdapterBlock(nn.Module):
    """One block of one modality's adapter. `own_dim` is the ViT width, `pyr_dim` the pyramid width,
    `other_dim` the other modality's ViT width."""

    def __init__(self, own_dim: int, other_dim: int, pyr_dim: int, heads: int, ffn_ratio: float,
                 inter_modal: bool):
        super().__init__()
        self.inter_modal = inter_modal
        self.inter = NormCrossAttn(pyr_dim, other_dim, heads, pyr_dim) if inter_modal else None
        self.fuse = NormCrossAttn(own_dim, pyr_dim, heads, pyr_dim)
        self.beta = nn.Parameter(torch.zeros(own_dim))        # eq. 3 gate, zero: the ViT output is untouched at init
        self.extract = NormCrossAttn(pyr_dim, own_dim, heads, pyr_dim)
        self.ln_ffn = nn.LayerNorm(pyr_dim)
        self.ffn = MLP(pyr_dim, int(pyr_dim * ffn_ratio))

    def inject(self, glob: torch.Tensor, pyr: torch.Tensor, other_glob: torch.Tensor) -> torch.Tensor:
        """Eqs. 2-3: (BT, L, D) global features -> V_hat (BT, L, D)."""
        guided = pyr + self.inter(pyr, other_glob) if self.inter_modal else pyr   # (BT, Lp, C)
        return glob + self.beta * self.fuse(glob, guided)

    def extract_next(self, pyr: torch.Tensor, glob_next: torch.Tensor) -> torch.Tensor:
        """Eq. 5: pyramid features for the next block (BT, Lp, C)."""
        pyr = pyr + self.extract(pyr, glob_next)
        return pyr + self.ffn(self.ln_ffn(pyr))


class AVAdapter(nn.Module):
    """Runs both encoders block by block with the adapter between blocks."""

    def __init__(self, cfg):
        super().__init__()
        mk = lambda own, other: ModalityAdapterBlock(  # noqa: E731
            own, other, cfg.adapter_dim, cfg.adapter_heads, cfg.adapter_ffn_ratio, cfg.inter_modal)
        self.vis = nn.ModuleList(mk(cfg.vis_dim, cfg.aud_dim) for _ in range(cfg.n_blocks))
        self.aud = nn.ModuleList(mk(cfg.aud_dim, cfg.vis_dim) for _ in range(cfg.n_blocks))

    def forward(self, vis_enc, aud_enc, V: torch.Tensor, A: torch.Tensor, v: torch.Tensor,
                a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """V (BT, Lv, D), A (BT, La, D): embedded patches; v, a: pyramid features (BT, Lp, C).
        Both modalities share T, so frame t of the audio guides frame t of the video."""
        for i in range(len(self.vis)):
            V_hat = self.vis[i].inject(V, v, A)               # both injections read block-i globals
            A_hat = self.aud[i].inject(A, a, V)
            V = vis_enc.blocks[i](V_hat)                      # eq. 4
            A = aud_enc.blocks[i](A_hat)
            if i + 1 < len(self.vis):                        # v^{N+1} feeds nothing: skip it
                v = self.vis[i].extract_next(v, V)
                a = self.aud[i].extract_next(a, A)
        return vis_enc.ln_out(V), aud_enc.ln_out(A)
