"""Dolphin (paper section 3): encoders -> AV multi-scale adapter -> spatial tokens + AV interleaved
merging -> projectors -> LLaMA-style decoder.

Reading order: encoders.py (ViT, pyramid), adapter.py (eqs. 2-5), merging.py (eq. 6, projectors),
decoder.py (LLM), then this file. No I/O here.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .adapter import AVAdapter
from .config import DolphinConfig
from .decoder import Decoder
from .encoders import Pyramid, ViTEncoder
from .merging import InterleavedMerge, SpatialTokens, build_projector


class Dolphin(nn.Module):
    def __init__(self, cfg: DolphinConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg
        self.vis_enc = ViTEncoder(3, c.vis_grid, c.vis_patch, c.vis_dim, c.vis_heads, c.n_blocks,
                                  c.vis_layers_per_block, c.enc_mlp_ratio, c.vis_stem)
        self.aud_enc = ViTEncoder(1, c.aud_grid, c.aud_patch, c.aud_dim, c.aud_heads, c.n_blocks,
                                  c.aud_layers_per_block, c.enc_mlp_ratio)
        if c.av_adapter:
            self.vis_pyr = Pyramid(3, c.pyramid_strides, c.adapter_dim)
            self.aud_pyr = Pyramid(1, c.pyramid_strides, c.adapter_dim)
            self.adapter = AVAdapter(c)
        self.vis_spatial = SpatialTokens(c.vis_grid, c.vis_spatial_grid)
        self.aud_spatial = SpatialTokens(c.aud_grid, c.aud_spatial_grid)
        self.merge = InterleavedMerge(c.vis_dim, c.merge_heads, c.bidir_context, c.interleaved_merging)
        self.proj_video = build_projector("mlp2x_gelu", c.vis_dim, c.dim)
        self.proj_audio = build_projector("mlp2x_gelu", c.aud_dim, c.dim)
        self.proj_av = build_projector("mlp2x_gelu", c.vis_dim, c.dim)
        self.decoder = Decoder(c)

    # parameter groups for the training stages -------------------------------------------
    def encoders(self) -> list[nn.Module]:
        return [self.vis_enc, self.aud_enc]

    def connector(self) -> list[nn.Module]:
        """Stage 1 trains these: adapter (with its pyramids), merging, projectors."""
        mods = [self.merge, self.proj_video, self.proj_audio, self.proj_av]
        if self.cfg.av_adapter:
            mods += [self.vis_pyr, self.aud_pyr, self.adapter]
        return mods

    # forward pieces ----------------------------------------------------------------------
    def encode_features(self, frames: torch.Tensor, spectrograms: torch.Tensor):
        """frames (B, T, 3, 224, 224), spectrograms (B, T, 1, 128, 204) ->
        V (B, T, Lv, D), A (B, T, La, D): the adapted global features of the last block."""
        B, T = frames.shape[:2]
        assert T == self.cfg.frames and spectrograms.shape[1] == T, "frames and spectrograms pair up per frame"
        x_v = frames.flatten(0, 1)                                   # (BT, 3, H, W)
        x_a = spectrograms.flatten(0, 1)                             # (BT, 1, 128, 204)
        if self.cfg.av_adapter:
            V, A = self.adapter(self.vis_enc, self.aud_enc, self.vis_enc.embed(x_v), self.aud_enc.embed(x_a),
                                self.vis_pyr(x_v), self.aud_pyr(x_a))
        else:
            V, A = self.vis_enc(x_v), self.aud_enc(x_a)
        return V.view(B, T, *V.shape[1:]), A.view(B, T, *A.shape[1:])

    def encode(self, frames: torch.Tensor, spectrograms: torch.Tensor) -> torch.Tensor:
        """-> prefix_embeds (B, P, dim) in the order of cfg.prefix_layout."""
        return self.prefix_from_features(*self.encode_features(frames, spectrograms))

    def prefix_from_features(self, V: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        """V (B, T, Lv, D), A (B, T, La, D) from encode_features -> prefix_embeds (B, P, dim)."""
        merged = self.merge(V, A)                                    # (B, 2T, D)
        parts = [self.proj_video(self.vis_spatial(V)),               # (B, Sv, dim)
                 self.proj_audio(self.aud_spatial(A))]               # (B, Sa, dim)
        if self.cfg.interleaved_merging:
            parts.append(self.proj_av(merged))                       # (B, 2T, dim) v1 a1 v2 a2 ...
        else:
            T = self.cfg.frames
            parts += [self.proj_video(merged[:, :T]), self.proj_audio(merged[:, T:])]
        prefix = torch.cat(parts, dim=1)
        assert prefix.shape[1] == self.cfg.prefix_length, "prefix must match the manifest's layout"
        return prefix

    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.decoder.embed_tokens(input_ids)

    def answer_loss(self, prefix: torch.Tensor, input_ids: torch.Tensor, labels: torch.Tensor,
                    attention_mask: torch.Tensor) -> torch.Tensor:
        """Next-token loss on answer tokens only. prefix (B, P, dim); input_ids, labels, attention_mask
        (B, S) right-padded; labels = -100 except on answer tokens (aligned with input_ids)."""
        B, P, _ = prefix.shape
        x = torch.cat([prefix, self.embed_tokens(input_ids)], dim=1)             # (B, P+S, dim)
        mask = torch.cat([attention_mask.new_ones(B, P), attention_mask], dim=1)
        pos = torch.arange(x.shape[1], device=x.device).expand(B, -1)
        logits, _ = self.decoder(x, mask, pos, logits_from=P)                     # (B, S, V)
        return F.cross_entropy(logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100)


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
