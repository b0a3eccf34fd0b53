"""ViT encoders (stand-ins for CLIP ViT-L/14 and ImageBind-audio) split into N blocks, and the
pyramid convolution that gives the adapter its 1/8, 1/16, 1/32 multi-scale features."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """Multi-head attention; self-attention when kv is None. Queries and keys may differ in width."""

    def __init__(self, q_dim: int, heads: int, kv_dim: int | None = None, inner_dim: int | None = None):
        super().__init__()
        inner_dim = inner_dim or q_dim
        assert inner_dim % heads == 0, "inner_dim must split evenly over heads"
        self.heads = heads
        self.q = nn.Linear(q_dim, inner_dim)
        self.kv = nn.Linear(kv_dim or q_dim, 2 * inner_dim)
        self.out = nn.Linear(inner_dim, q_dim)

    def forward(self, x: torch.Tensor, kv: torch.Tensor | None = None) -> torch.Tensor:
        kv = x if kv is None else kv
        B, Lq, _ = x.shape
        Lk = kv.shape[1]
        q = self.q(x).view(B, Lq, self.heads, -1).transpose(1, 2)           # (B, h, Lq, hd)
        k, v = self.kv(kv).view(B, Lk, 2, self.heads, -1).permute(2, 0, 3, 1, 4)  # 2 x (B, h, Lk, hd)
        y = F.scaled_dot_product_attention(q, k, v)                          # (B, h, Lq, hd)
        return self.out(y.transpose(1, 2).reshape(B, Lq, -1))


class MLP(nn.Sequential):
    def __init__(self, dim: int, hidden: int, out: int | None = None):
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, out or dim))


class ViTLayer(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


def build_stem(kind: str, in_chans: int, dim: int, patch: int) -> nn.Module:
    """'patch': the ViT's linear patch embedding. 'conv': the same stride reached by non-overlapping
    convolutions (4, then 2s) with GELUs -- an early-convolution ViT. 'cnn': a 4x4 patchify, then
    overlapping 3x3 stride-2 convolutions: each patch token also sees its neighbours' edges, which
    is what tells a small circle from a square or a diamond (the tiny model's choice: on shape alone
    it reached 86% on occupied cells in 150 s of CPU training where 'conv' reached 70%)."""
    if kind == "patch":
        return nn.Conv2d(in_chans, dim, kernel_size=patch, stride=patch)
    if kind == "conv":
        assert patch >= 8 and (patch & (patch - 1)) == 0, "conv stem needs a power-of-two patch >= 8"
        widths, layers, c, stride = [dim // 4, dim // 2, dim], [], in_chans, 4
        layers += [nn.Conv2d(c, widths[0], 4, 4), nn.GELU()]
        c = widths[0]
        while stride < patch:
            nxt = widths[min(len(widths) - 1, len(layers) // 2)] if stride * 2 < patch else dim
            layers += [nn.Conv2d(c, nxt, 2, 2), nn.GELU()]
            c, stride = nxt, stride * 2
        return nn.Sequential(*layers[:-1])                  # no activation on the embedding itself
    if kind == "cnn":
        assert patch >= 8 and (patch & (patch - 1)) == 0, "cnn stem needs a power-of-two patch >= 8"
        layers, c, stride = [nn.Conv2d(in_chans, dim // 4, 4, 4), nn.GELU()], dim // 4, 4
        while stride < patch:
            nxt = dim if stride * 2 == patch else min(dim, 2 * c)
            layers += [nn.Conv2d(c, nxt, 3, 2, 1), nn.GELU()]
            c, stride = nxt, stride * 2
        return nn.Sequential(*layers[:-1])
    raise ValueError(f"unknown stem {kind!r}; expected 'patch', 'conv' or 'cnn'")


class ViTEncoder(nn.Module):
    """Patch embedding + N blocks of layers. `embed` and `blocks[i]` are called one by one so the
    adapter can sit between blocks; `forward` runs them plainly (the "w/o AV adapter" path)."""

    def __init__(self, in_chans: int, grid: tuple[int, int], patch: int, dim: int, heads: int,
                 n_blocks: int, layers_per_block: int, mlp_ratio: float, stem: str = "patch"):
        super().__init__()
        self.grid = grid
        self.patch_embed = build_stem(stem, in_chans, dim, patch)
        self.pos = nn.Parameter(torch.randn(1, grid[0] * grid[1], dim) * 0.02)
        self.blocks = nn.ModuleList(
            nn.Sequential(*[ViTLayer(dim, heads, mlp_ratio) for _ in range(layers_per_block)])
            for _ in range(n_blocks))
        self.ln_out = nn.LayerNorm(dim)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)                              # (BT, D, gh, gw); a ragged edge is cropped
        assert x.shape[-2:] == self.grid, f"patch grid {tuple(x.shape[-2:])} != configured {self.grid}"
        return x.flatten(2).transpose(1, 2) + self.pos       # (BT, L, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x)
        for block in self.blocks:
            x = block(x)
        return self.ln_out(x)


class Pyramid(nn.Module):
    """Spatial prior module (ViT-Adapter): conv features at 1/s for s in strides, flattened and
    concatenated with a level embedding. Output (BT, sum_s HW/s^2, C) -- eq. 1."""

    def __init__(self, in_chans: int, strides: tuple[int, ...], dim: int):
        super().__init__()
        assert all(b == 2 * a for a, b in zip(strides, strides[1:])), "each level halves the previous"
        s0 = strides[0]
        self.stem = nn.Sequential(nn.Conv2d(in_chans, dim, kernel_size=s0, stride=s0), nn.GELU())
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv2d(dim, dim, 3, stride=2, padding=1), nn.GELU()) for _ in strides[1:])
        self.level = nn.Parameter(torch.zeros(len(strides), dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.stem(x)                                      # (BT, C, H/s0, W/s0)
        levels = [f]
        for down in self.down:
            f = down(f)
            levels.append(f)
        tokens = [lv.flatten(2).transpose(1, 2) + self.level[i] for i, lv in enumerate(levels)]
        return torch.cat(tokens, dim=1)                       # (BT, L8 + L16 + L32, C)


def pool_matrix(grid: tuple[int, int], out: tuple[int, int]) -> torch.Tensor:
    """(out_h*out_w, h*w) averaging matrix equal to adaptive_avg_pool2d; a matmul exports to any
    ONNX runtime, whatever the sizes."""
    (h, w), (oh, ow) = grid, out
    m = torch.zeros(oh * ow, h * w)
    for i in range(oh):
        r0, r1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            cells = [r * w + c for r in range(r0, r1) for c in range(c0, c1)]
            m[i * ow + j, cells] = 1.0 / len(cells)
    return m
