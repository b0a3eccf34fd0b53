"""The where-to-look loss: its targets name the right cell and token, and it supervises the attention the
decoder really computes."""
import torch

from avu_trainer.config import DolphinConfig, LookupConfig
from avu_trainer.grounding import ABSENT, ANSWER, SOUND, WORD, AttentionInputs, head_attention, look_for, lookup_loss
from avu_trainer.model import Dolphin
from avu_trainer.tokenizer import encode_answer, encode_prompt, train_tokenizer
from avu_trainer.train import pack_qa

ATTRS = {"objects": [{"shape": "triangle", "row": "top", "col": "left"},
                     {"shape": "circle", "row": "bottom", "col": "centre"}],
         "sound": {"source": "circle"}}
QUESTIONS = ["What colour is the triangle?", "What colour is the square?", "Where is the sounding object?",
             "What colour is the object making the ringing tone?", "What colour is the object making the whistle?",
             "What pitch is the whistle?", "How many shapes are there?", "What makes the sound?"]


def tokenizer():
    return train_tokenizer([f"USER: {q} ASSISTANT: red" for q in QUESTIONS] * 20 + ["There is no square"] * 20, 400)


def qa(q, modality="visual"):
    return {"q": q, "a": "red", "modality": modality, "subset": "specific"}


def word_at(tok, q, i):
    return tok.decode([encode_prompt(tok, q)[i]]).strip()


def test_targets_name_the_objects_cell_and_the_token_that_names_it():
    tok = tokenizer()
    tri = look_for(tok, ATTRS, qa("What colour is the triangle?"))
    assert tri.cell == 0 and not tri.by_sound                             # top left, row by row
    assert "triangle".endswith(word_at(tok, "What colour is the triangle?", tri.word))
    assert look_for(tok, ATTRS, qa("What colour is the square?")).cell == ABSENT
    ring = look_for(tok, ATTRS, qa("What colour is the object making the ringing tone?", "av"))
    assert ring.cell == 7
    assert "ringing tone".endswith(word_at(tok, "What colour is the object making the ringing tone?", ring.word))
    assert look_for(tok, ATTRS, qa("What colour is the object making the whistle?", "av")).cell == 0
    src = look_for(tok, ATTRS, qa("Where is the sounding object?", "av"))
    assert src.cell == 7 and src.by_sound                                 # the circle makes the sound
    assert look_for(tok, {**ATTRS, "sound": {"source": "diamond"}}, qa("What makes the sound?", "av")).cell == ABSENT
    assert look_for(tok, ATTRS, qa("What pitch is the whistle?", "audio")) is None   # about the sound alone
    assert look_for(tok, ATTRS, qa("How many shapes are there?")) is None


def test_packed_looks_point_answer_positions_at_the_naming_word():
    tok = tokenizer()
    q, q2 = "What colour is the triangle?", "Where is the sounding object?"
    looks = [[look_for(tok, ATTRS, qa(q)), None, look_for(tok, ATTRS, qa(q2, "av"))]]
    b = pack_qa(tok, [[(q, "red"), ("How many shapes are there?", "two"), (q2, "bottom")]], P=31, device="cpu",
                looks=looks)
    kind, val = b.look[0, :, 0], b.look[0, :, 1]
    n1 = len(encode_prompt(tok, q)) + len(encode_answer(tok, "red"))
    n2 = len(encode_prompt(tok, "How many shapes are there?")) + len(encode_answer(tok, "two"))
    word = looks[0][0].word
    assert kind[word] == WORD and val[word] == 0
    answering = b.tgt[0] != -100                                          # positions that predict an answer token
    first, second, third = answering.clone(), answering.clone(), answering.clone()
    first[n1:], second[:n1], second[n1 + n2:], third[:n1 + n2] = False, False, False, False
    assert (kind[first] == ANSWER).all() and (val[first] == word).all()
    assert (kind[second] == 0).all()                                       # the count names no object
    assert (kind[third] == ANSWER).all() and (kind == SOUND).sum() == 1
    assert (kind == ANSWER).sum() == first.sum() + third.sum()
    assert pack_qa(tok, [[(q, "red")]], P=31, device="cpu").look is None


def test_supervised_head_is_the_attention_the_decoder_computes():
    torch.manual_seed(0)
    cfg = DolphinConfig(vis_dim=32, aud_dim=32, vis_heads=2, aud_heads=2, adapter_dim=16, adapter_heads=2,
                        merge_heads=2, dim=64, n_heads=2, ffn_hidden=128, vocab_size=400)
    m = Dolphin(cfg).eval()
    tok = tokenizer()
    q = "What colour is the triangle?"
    b = pack_qa(tok, [[(q, "red"), ("How many shapes are there?", "two")]], P=cfg.prefix_length, device="cpu",
                looks=[[look_for(tok, ATTRS, qa(q)), None]])
    prefix = torch.randn(1, cfg.prefix_length, cfg.dim)
    x = torch.cat([prefix, m.embed_tokens(b.ids)], 1)
    layer, head, hd = m.decoder.layers[1], 1, cfg.dim // cfg.n_heads
    mixed = {}
    layer.self_attn.o_proj.register_forward_pre_hook(lambda mod, args: mixed.__setitem__("y", args[0]))
    with AttentionInputs(m.decoder, {1}) as seen:
        m.decoder(x, torch.ones(1, x.shape[1], dtype=torch.long), b.pos, attn_bias=b.bias)
    S = x.shape[1]
    rows, queries = torch.zeros(S, dtype=torch.long), torch.arange(S)
    p = head_attention(layer, seen.x[1], b.pos, b.bias, head, cfg.rope_theta, rows, queries)
    v = layer.self_attn.v_proj(seen.x[1])[0, :, head * hd:(head + 1) * hd]
    torch.testing.assert_close(p @ v, mixed["y"][0, :, head * hd:(head + 1) * hd], atol=1e-5, rtol=1e-4)
    assert torch.allclose(p.sum(1), torch.ones(S)) and p[0, 1:].max() < 1e-6   # causal: the first sees itself


def test_loss_falls_as_the_heads_look_at_their_targets():
    """A few steps on the loss alone move the supervised heads onto the targets (what the full model needs)."""
    torch.manual_seed(0)
    cfg = DolphinConfig(vis_dim=32, aud_dim=32, vis_heads=2, aud_heads=2, adapter_dim=16, adapter_heads=2,
                        merge_heads=2, dim=64, n_heads=2, ffn_hidden=128, vocab_size=400)
    m = Dolphin(cfg)
    tok = tokenizer()
    lc = LookupConfig()
    lc.check(cfg)
    q = "What colour is the triangle?"
    b = pack_qa(tok, [[(q, "red")]], P=cfg.prefix_length, device="cpu", looks=[[look_for(tok, ATTRS, qa(q))]])
    prefix = torch.randn(1, cfg.prefix_length, cfg.dim)
    opt = torch.optim.Adam(m.decoder.parameters(), 3e-3)
    losses = []
    for _ in range(40):
        x = torch.cat([prefix, m.embed_tokens(b.ids)], 1)
        with AttentionInputs(m.decoder, {0, 1, 2}) as seen:
            m.decoder(x, torch.ones(1, x.shape[1], dtype=torch.long), b.pos, attn_bias=b.bias)
        loss, acc = lookup_loss(m.decoder, seen.x, b.pos, b.bias, b.look, cfg.prefix_length, lc, cfg.rope_theta)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0] and acc == {"word": 1.0, "answer": 1.0}
