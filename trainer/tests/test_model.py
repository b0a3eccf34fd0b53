"""The modules behave as the paper's equations say; the config scales to paper size."""
import pytest
import torch

from avu_trainer.adapter import ModalityAdapterBlock
from avu_trainer.config import DolphinConfig
from avu_trainer.merging import InterleavedMerge
from avu_trainer.model import Dolphin, count_params

torch.set_num_threads(2)


def small(**kw) -> DolphinConfig:
    return DolphinConfig(vis_dim=32, aud_dim=32, vis_heads=2, aud_heads=2, adapter_dim=16, adapter_heads=2,
                         merge_heads=2, dim=32, n_heads=2, ffn_hidden=64, vocab_size=64, **kw)


def inputs(B=1):
    return torch.randn(B, 8, 3, 224, 224), torch.randn(B, 8, 1, 128, 204)


def test_beta_zero_leaves_global_features_unchanged():
    blk = ModalityAdapterBlock(32, 32, 16, 2, 2.0, inter_modal=True)
    V, v, A = torch.randn(2, 49, 32), torch.randn(2, 100, 16), torch.randn(2, 24, 32)
    assert torch.equal(blk.inject(V, v, A), V)                       # eq. 3 with beta = 0
    with torch.no_grad():
        blk.beta.fill_(0.5)
    assert not torch.allclose(blk.inject(V, v, A), V)


def test_adapter_at_init_equals_plain_encoder():
    torch.manual_seed(0)
    m = Dolphin(small()).eval()
    f, s = inputs()
    with torch.no_grad():
        V, A = m.encode_features(f, s)
        x_v, x_a = f.flatten(0, 1), s.flatten(0, 1)
        assert torch.allclose(V.flatten(0, 1), m.vis_enc(x_v), atol=1e-6)
        assert torch.allclose(A.flatten(0, 1), m.aud_enc(x_a), atol=1e-6)


def test_merging_gives_two_tokens_per_frame_interleaved():
    m = InterleavedMerge(16, 2, bidir_context=False, interleaved=True)
    V = torch.arange(8.0)[None, :, None, None].expand(1, 8, 5, 16)          # visual frame t carries t
    A = -torch.arange(8.0)[None, :, None, None].expand(1, 8, 3, 16) - 100   # audio frame t carries -t-100
    out = m(V, A)                                                           # (1, 16, 16)
    assert out.shape == (1, 16, 16)
    assert out[0, 0::2, 0].tolist() == list(range(8))                       # v1, a1, v2, a2, ...
    assert out[0, 1::2, 0].tolist() == [-t - 100 for t in range(8)]
    m2 = InterleavedMerge(16, 2, bidir_context=True, interleaved=True)
    assert m2(torch.randn(2, 8, 5, 16), torch.randn(2, 8, 3, 16)).shape == (2, 16, 16)


def test_bidirectional_context_mixes_modalities_within_a_frame_only():
    torch.manual_seed(0)
    m = InterleavedMerge(16, 2, bidir_context=True, interleaved=True)
    V, A = torch.randn(1, 8, 5, 16), torch.randn(1, 8, 3, 16)
    A2 = A.clone()
    A2[0, 3] = torch.randn(3, 16)                                                       # change the audio of frame 3 only
    d = (m(V, A) - m(V, A2)).abs().sum(-1)[0]                               # (16,)
    changed = (d > 1e-6).nonzero().flatten().tolist()
    assert changed == [6, 7]                                                 # frame 3's visual and audio tokens


def test_tiny_prefix_and_loss_shapes():
    cfg = small()
    m = Dolphin(cfg)
    f, s = inputs(2)
    prefix = m.encode(f, s)
    assert prefix.shape == (2, cfg.prefix_length, cfg.dim) and cfg.prefix_length == 9 + 6 + 16
    ids = torch.randint(0, 64, (2, 7))
    labels = torch.full_like(ids, -100)
    labels[:, 4:] = ids[:, 4:]
    loss = m.answer_loss(prefix, ids, labels, torch.ones_like(ids))
    assert loss.ndim == 0 and torch.isfinite(loss)


def test_ablation_switches_change_the_graph():
    full = Dolphin(small())
    assert hasattr(full, "adapter") and full.adapter.vis[0].inter is not None and hasattr(full.merge, "v_ctx")
    no_inter = Dolphin(small(inter_modal=False))
    assert no_inter.adapter.vis[0].inter is None
    no_adapter = Dolphin(small(av_adapter=False))
    assert not hasattr(no_adapter, "adapter") and not hasattr(no_adapter, "vis_pyr")
    no_ctx = Dolphin(small(bidir_context=False))
    assert not hasattr(no_ctx.merge, "v_ctx")
    no_merge = Dolphin(small(interleaved_merging=False))
    assert [x["kind"] for x in no_merge.cfg.prefix_layout] == [
        "visual_spatial", "audio_spatial", "visual_temporal", "audio_temporal"]
    f, s = inputs()
    for m in (no_inter, no_adapter, no_ctx, no_merge):
        assert m.encode(f, s).shape == (1, m.cfg.prefix_length, 32)
    assert count_params(no_adapter) < count_params(no_inter) < count_params(full)


def llama_params(d, layers, ffn, vocab):
    return 2 * vocab * d + layers * (4 * d * d + 3 * d * ffn + 2 * d) + d


def vit_params(d, layers, patch, chans, tokens, mlp=4):
    per_layer = 4 * d * d + 4 * d + 2 * d * mlp * d + mlp * d + d + 4 * d
    return layers * per_layer + chans * patch * patch * d + d + tokens * d + 2 * d


def test_paper_scale_builds_on_meta_device():
    cfg = DolphinConfig.paper()
    with torch.device("meta"):
        m = Dolphin(cfg)
    assert cfg.vis_grid == (16, 16) and cfg.aud_grid == (8, 12)
    assert cfg.n_blocks * cfg.vis_layers_per_block == 24                     # ViT-L: 24 layers in 4 blocks
    dec = count_params(m.decoder)
    assert dec == llama_params(4096, 32, 11008, 32000) == 6_738_415_616       # LLaMA/Vicuna-7B
    assert count_params(m.vis_enc) == vit_params(1024, 24, 14, 3, 256)
    assert count_params(m.aud_enc) == vit_params(1024, 24, 16, 1, 96)
    f = torch.empty(1, 8, 3, 224, 224, device="meta")
    s = torch.empty(1, 8, 1, 128, 204, device="meta")
    prefix = m.encode(f, s)
    assert prefix.shape == (1, 256 + 96 + 16, 4096) and cfg.prefix_length == 368
    total = count_params(m)
    assert 7.3e9 < total < 7.8e9, total


@pytest.mark.parametrize("stem", ["conv", "cnn"])
def test_convolutional_stems_keep_the_patch_grid(stem):
    cfg = small(vis_stem=stem)
    m = Dolphin(cfg)
    assert isinstance(m.vis_enc.patch_embed, torch.nn.Sequential)
    f, s = inputs()
    assert m.encode(f, s).shape == (1, cfg.prefix_length, 32)
    # the stem ends in the encoder width, at the patch grid, whatever the patch size
    x = torch.zeros(2, 3, 224, 224)
    assert m.vis_enc.patch_embed(x).shape == (2, cfg.vis_dim, *cfg.vis_grid)
