"""Where to look: an auxiliary loss on three decoder attention heads that teaches the LLM to find the object a
question names among the visual spatial tokens (stage 2b; not in the paper).

Why. "What colour is the triangle?" needs two hops inside the decoder: the answer position must first read
which shape the question names, then use that to find the triangle's cell among the 3x3 spatial tokens. The
prefix carries every cell's shape (a linear probe reads it at 100%), yet the next-token loss alone did not
teach the two hops within the CPU budget: the tiny Dolphin answered with one object's colour whatever shape was
named, and never rejected an absent one. Supervising each hop on its own makes both one-hop problems, which a
head learns in tens of steps:

  word head   (layer `word_layer`): at the last token of the words that name the object ("triangle",
              "whistle"), attend to that object's cell; when the object is not in the picture, to anything
              but the nine cells.
  sound head  (layer `source_layer`): the same at "sounding object" / "sound" for the questions that name
              the object by what is heard: the source's cell, or none when the source is not in the picture.
              A later layer than the word head, so the heads before it can bring the sound's source in.
  answer head (layer `answer_layer`): at every position that predicts an answer token, attend to that word.

The targets come from the synth ground truth (which object is where); inference is unchanged: the loss only
shapes where existing heads look. Cells are numbered row by row, as the visual spatial tokens are (data.py).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .decoder import DecoderLayer, rope, rotate
from .synth.world import COLS, ROWS, SHAPES, VOICE
from .tokenizer import render_prompt

ABSENT = 9                                     # target "no cell": the named object is not in the picture
N_CELLS = 9
# questions that name the object by its sound: the words whose last token looks
SOURCE_WORDS = {"Where is the sounding object?": "sounding object", "What makes the sound?": "sound"}
NOUN_SHAPE = {noun: shape for shape, (_, noun) in VOICE.items()}
# look kinds in a packed batch (pack_qa's `look` tensor, [..., 0])
NONE, WORD, SOUND, ANSWER = 0, 1, 2, 3


@dataclass(frozen=True)
class Look:
    cell: int        # 0..8, row by row over the 3x3 grid, or ABSENT
    word: int        # index in the prompt's tokens of the last token that names the object
    by_sound: bool   # named by what is heard (the sound head), not by its shape or its sound's noun


def _named(question: str) -> tuple[str, str] | None:
    """(words in the question that name the object, its shape), or (words, "") when named by the sound."""
    if question in SOURCE_WORDS:
        return SOURCE_WORDS[question], ""
    for noun, shape in NOUN_SHAPE.items():
        if noun in question:
            return noun, shape
    for shape in SHAPES:
        if re.search(rf"\b{shape}\b", question):
            return shape, shape
    return None


def look_for(tok, attributes: dict, qa: dict) -> Look | None:
    """Where the decoder should look to answer `qa` (a synth Q&A item) about the clip with these ground-truth
    attributes; None for questions about no one object (the background, the count) or about the sound alone."""
    if qa["modality"] == "audio":
        return None
    named = _named(qa["q"])
    if named is None:
        return None
    words, shape = named
    shape = shape or attributes["sound"]["source"]
    cell = next((ROWS.index(o["row"]) * 3 + COLS.index(o["col"]) for o in attributes["objects"]
                 if o["shape"] == shape), ABSENT)
    prompt = render_prompt(qa["q"])
    start = prompt.index(words)
    end = start + len(words)
    offsets = tok.encode(prompt, add_special_tokens=False).offsets
    word = max(j for j, (a, b) in enumerate(offsets) if b > start and a < end)
    return Look(cell, word, qa["q"] in SOURCE_WORDS)


def head_attention(layer: DecoderLayer, x_norm: torch.Tensor, position_ids: torch.Tensor, bias: torch.Tensor,
                   head: int, rope_theta: float, rows: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """One head's attention probabilities (N, S) for the query positions `queries` of batch rows `rows`,
    recomputed from the layer's normalised input x_norm (B, S, D) exactly as SelfAttention does."""
    sa = layer.self_attn
    B, S, D = x_norm.shape
    hd = D // sa.heads
    cos, sin = rope(position_ids, hd, rope_theta)                             # (B, 1, S, hd)
    sl = slice(head * hd, (head + 1) * hd)                                     # this head's rows of q_proj, k_proj
    q = rotate(F.linear(x_norm, sa.q_proj.weight[sl])[:, None], cos, sin)[:, 0]   # (B, S, hd)
    k = rotate(F.linear(x_norm, sa.k_proj.weight[sl])[:, None], cos, sin)[:, 0]
    scores = (q @ k.transpose(1, 2))[rows, queries] / math.sqrt(hd) + bias[rows, 0, queries]   # (N, S)
    return scores.softmax(-1)


class AttentionInputs:
    """Context manager that keeps the normalised inputs of some decoder layers during one forward pass."""

    def __init__(self, decoder, layers: set[int]):
        self.decoder, self.layers, self.x = decoder, layers, {}

    def __enter__(self):
        self.hooks = [self.decoder.layers[i].input_layernorm.register_forward_hook(
            lambda mod, args, out, i=i: self.x.__setitem__(i, out)) for i in self.layers]
        return self

    def __exit__(self, *exc):
        for h in self.hooks:
            h.remove()


def lookup_loss(decoder, x_norm: dict[int, torch.Tensor], position_ids, bias, look: torch.Tensor, P: int,
                cfg, rope_theta: float) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean negative log attention on the targets, summed over the three heads, and each head's share of
    positions whose strongest target is right. look (B, L, 2) from pack_qa: [kind, cell or word index]."""
    kind, val = look[..., 0], look[..., 1]
    total, acc = x_norm[cfg.answer_layer].new_zeros(()), {}
    for k, name, layer in ((WORD, "word", cfg.word_layer), (SOUND, "sound", cfg.source_layer)):
        rows, pos = (kind == k).nonzero(as_tuple=True)
        if not len(rows):
            continue
        p = head_attention(decoder.layers[layer], x_norm[layer], position_ids, bias, cfg.head, rope_theta,
                           rows, P + pos)[:, :N_CELLS]                         # the visual spatial tokens first
        cell = val[rows, pos]
        present = cell < ABSENT
        on_target = torch.where(present, p.gather(1, cell.clamp(max=N_CELLS - 1)[:, None])[:, 0],
                                (1 - p.sum(1)).clamp(min=0))
        total = total + (-torch.log(on_target + 1e-6)).mean()
        acc[name] = torch.where(present, p.argmax(1) == cell, p.sum(1) < 0.5).float().mean().item()
    rows, pos = (kind == ANSWER).nonzero(as_tuple=True)
    if len(rows):
        p = head_attention(decoder.layers[cfg.answer_layer], x_norm[cfg.answer_layer], position_ids, bias,
                           cfg.head, rope_theta, rows, P + pos)
        target = P + val[rows, pos]
        total = total + (-torch.log(p.gather(1, target[:, None])[:, 0] + 1e-6)).mean()
        acc["answer"] = (p.argmax(1) == target).float().mean().item()
    return total, acc
