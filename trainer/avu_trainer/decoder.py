"""LLaMA-style decoder: RMSNorm, rotary positions, SwiGLU, no biases, and a KV cache.

The forward signature is the bundle's decoder graph (docs/bundle.md): inputs_embeds, a 0/1
attention_mask over past + new positions (left padding allowed), explicit position_ids and a
list of past (key, value) pairs [B, H, past, hd] that may be empty along `past`.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope(position_ids: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin (B, 1, S, hd) for the half-rotation layout of Hugging Face LLaMA."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, device=position_ids.device).float() / head_dim)
    ang = position_ids.float()[..., None] * inv_freq                  # (B, S, hd/2)
    ang = torch.cat([ang, ang], dim=-1)[:, None]                      # (B, 1, S, hd)
    return ang.cos(), ang.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        B, S, D = x.shape
        split = lambda t: t.view(B, S, self.heads, -1).transpose(1, 2)  # noqa: E731  (B, H, S, hd)
        q = rotate(split(self.q_proj(x)), cos, sin)
        k = torch.cat([past_k, rotate(split(self.k_proj(x)), cos, sin)], dim=2)  # (B, H, past+S, hd)
        v = torch.cat([past_v, split(self.v_proj(x))], dim=2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)   # bias (B, 1, S, past+S)
        return self.o_proj(y.transpose(1, 2).reshape(B, S, D)), k, v


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.self_attn = SelfAttention(cfg.dim, cfg.n_heads)
        self.post_attention_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.mlp = SwiGLU(cfg.dim, cfg.ffn_hidden)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        h, k, v = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_k, past_v)
        x = x + h
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


def attention_bias(attention_mask: torch.Tensor, S: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive bias (B, 1, S, past+S): query i (absolute past+i) sees key j if j <= past+i and mask[j]."""
    total = attention_mask.shape[1]
    q_pos = torch.arange(S, device=attention_mask.device)[:, None] + (total - S)   # (S, 1)
    k_pos = torch.arange(total, device=attention_mask.device)[None, :]            # (1, total)
    ok = (k_pos <= q_pos)[None, None] & (attention_mask[:, None, None, :] > 0)    # (B, 1, S, total)
    # a large negative, not -inf: a fully padded query row must stay finite (its output is unused)
    return torch.where(ok, torch.zeros((), dtype=dtype), torch.full((), -1e9, dtype=dtype))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)

    def empty_cache(self, batch: int, device=None, dtype=torch.float32) -> list[tuple[torch.Tensor, torch.Tensor]]:
        shape = (batch, self.cfg.n_heads, 0, self.cfg.head_dim)
        return [(torch.zeros(shape, device=device, dtype=dtype),) * 2 for _ in self.layers]

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                past: list[tuple[torch.Tensor, torch.Tensor]] | None = None, logits_from: int = 0,
                attn_bias: torch.Tensor | None = None, return_hidden: bool = False):
        """inputs_embeds (B, S, D); attention_mask (B, past+S); position_ids (B, S).
        Returns logits (B, S - logits_from, V) and the present cache. Training may pass its own
        additive attn_bias (B, 1, S, past+S) (packed Q&A) and take the final hidden states instead."""
        B, S, _ = inputs_embeds.shape
        if past is None:
            past = self.empty_cache(B, inputs_embeds.device, inputs_embeds.dtype)
        cos, sin = rope(position_ids, self.cfg.head_dim, self.cfg.rope_theta)
        bias = attention_bias(attention_mask, S, inputs_embeds.dtype) if attn_bias is None else attn_bias
        x, present = inputs_embeds, []
        for layer, (pk, pv) in zip(self.layers, past):
            x, k, v = layer(x, cos, sin, bias, pk, pv)
            present.append((k, v))
        x = self.norm(x[:, logits_from:])
        return (x if return_hidden else self.lm_head(x)), present
