"""One config sizes Dolphin from the tiny CPU model to paper scale and switches the Table 5(a) ablations.

The model file reads only this dataclass; training reads TrainConfig. Both round-trip through JSON
so checkpoints carry them (`asdict` / `from_dict`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


@dataclass
class DolphinConfig:
    # input contract (DESIGN.md "Paper facts"): 8 frames of 224x224, 8 spectrograms of 128x204
    frames: int = 8
    image_size: int = 224
    mel_bins: int = 128
    spec_frames: int = 204
    # encoders: ViTs split into n_blocks blocks of layers_per_block layers each (paper: N=4 x 6 for ViT-L)
    n_blocks: int = 4
    vis_patch: int = 32
    vis_dim: int = 128
    vis_heads: int = 4
    vis_layers_per_block: int = 1
    vis_stem: str = "patch"         # 'patch' (ViT), 'conv' (non-overlapping early convolutions) or 'cnn' (overlapping; the tiny model's choice)
    aud_patch: int = 32
    aud_dim: int = 128
    aud_heads: int = 4
    aud_layers_per_block: int = 1
    enc_mlp_ratio: float = 4.0
    # AV multi-scale adapter: pyramid strides (1/8, 1/16, 1/32 of the input) and the width of the pyramid features
    pyramid_strides: tuple[int, ...] = (8, 16, 32)
    adapter_dim: int = 64
    adapter_heads: int = 2
    adapter_ffn_ratio: float = 2.0
    # spatial tokens: after the temporal average, pool the token grid to this size (None keeps every token)
    vis_spatial_grid: tuple[int, int] | None = (3, 3)
    aud_spatial_grid: tuple[int, int] | None = (2, 3)
    merge_heads: int = 4
    # LLaMA-style decoder
    vocab_size: int = 2048
    dim: int = 256
    n_layers: int = 4
    n_heads: int = 4
    ffn_hidden: int = 688
    max_positions: int = 512
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    # Table 5(a) ablations (all True = the full Dolphin)
    inter_modal: bool = True        # eq. 2; False = "w/o inter-modal" (fusion uses the modality's own pyramid)
    av_adapter: bool = True         # section 3.1; False = "w/o AV adapter" (plain encoder features)
    bidir_context: bool = True      # eq. 6; False = "w/o bi-dir context attn" (interleaved, no cross-attention)
    interleaved_merging: bool = True  # section 3.2; False = "w/o AV inter-merging" (all visual, then all audio)

    def __post_init__(self) -> None:
        self.pyramid_strides = tuple(self.pyramid_strides)
        if self.vis_spatial_grid is not None:
            self.vis_spatial_grid = tuple(self.vis_spatial_grid)
        if self.aud_spatial_grid is not None:
            self.aud_spatial_grid = tuple(self.aud_spatial_grid)
        if self.vis_dim != self.aud_dim:
            # the AV groups of eq. 6 put visual and audio tokens through one joint projector
            raise ValueError(f"vis_dim ({self.vis_dim}) must equal aud_dim ({self.aud_dim})")
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")

    # derived sizes -------------------------------------------------------
    @property
    def vis_grid(self) -> tuple[int, int]:
        g = self.image_size // self.vis_patch
        return (g, g)

    @property
    def aud_grid(self) -> tuple[int, int]:
        return (self.mel_bins // self.aud_patch, self.spec_frames // self.aud_patch)

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def n_vis_spatial(self) -> int:
        g = self.vis_spatial_grid or self.vis_grid
        return g[0] * g[1]

    @property
    def n_aud_spatial(self) -> int:
        g = self.aud_spatial_grid or self.aud_grid
        return g[0] * g[1]

    @property
    def prefix_layout(self) -> list[dict]:
        """Order and count of the prefix tokens the decoder sees (written to the bundle manifest)."""
        layout = [{"kind": "visual_spatial", "count": self.n_vis_spatial},
                  {"kind": "audio_spatial", "count": self.n_aud_spatial}]
        if self.interleaved_merging:
            layout.append({"kind": "av_interleaved", "count": 2 * self.frames,
                           "order": "frame t: visual token, audio token"})
        else:
            layout += [{"kind": "visual_temporal", "count": self.frames},
                       {"kind": "audio_temporal", "count": self.frames}]
        return layout

    @property
    def prefix_length(self) -> int:
        return sum(x["count"] for x in self.prefix_layout)

    # presets -------------------------------------------------------------
    @classmethod
    def tiny(cls, **kw) -> "DolphinConfig":
        return cls(**kw)

    @classmethod
    def paper(cls, **kw) -> "DolphinConfig":
        """CLIP ViT-L/14-shaped encoders (24 layers = 4 blocks x 6) and a Vicuna-7B-shaped decoder."""
        base = dict(vis_patch=14, vis_dim=1024, vis_heads=16, vis_layers_per_block=6,
                    aud_patch=16, aud_dim=1024, aud_heads=16, aud_layers_per_block=6,
                    adapter_dim=1024, adapter_heads=16, adapter_ffn_ratio=4.0,
                    vis_spatial_grid=None, aud_spatial_grid=None, merge_heads=16,
                    vocab_size=32000, dim=4096, n_layers=32, n_heads=32, ffn_hidden=11008,
                    max_positions=4096, norm_eps=1e-5)
        base.update(kw)
        return cls(**base)

    @classmethod
    def from_dict(cls, d: dict) -> "DolphinConfig":
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown DolphinConfig fields: {sorted(unknown)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StageConfig:
    steps: int = 100
    batch_clips: int = 8
    lr: float = 1e-3
    warmup: float = 0.05            # fraction of the stage
    weight_decay: float = 0.0
    time_budget_s: float | None = None  # the stage ends at `steps` or at this wall time, whichever first
    lookup_weight: float = 0.0      # weight of grounding.py's where-to-look loss beside the answer loss (0: off)
    first_token_share: float = 0.0  # stage 2b: share of the loss of each pair whose question is a false premise in
                                    # some clip put on its first answer token, where an answer and a rejection part
                                    # ways (0: every answer token weighs the same); train.false_premise_questions


@dataclass
class LookupConfig:
    """The decoder heads grounding.py supervises (head `head` of each layer); see its docstring."""
    word_layer: int = 0
    source_layer: int = 1
    answer_layer: int = 2
    head: int = 0

    def check(self, model: "DolphinConfig") -> None:
        if not max(self.word_layer, self.source_layer) < self.answer_layer < model.n_layers:
            raise ValueError(f"lookup layers must satisfy word_layer, source_layer < answer_layer < n_layers "
                             f"({model.n_layers}); got {self.word_layer}, {self.source_layer}, {self.answer_layer}")
        if not 0 <= self.head < model.n_heads:
            raise ValueError(f"lookup head {self.head} is not one of the decoder's {model.n_heads} heads")
        if model.vis_spatial_grid != (3, 3):
            raise ValueError("the where-to-look loss needs the 3x3 visual spatial tokens of the synth grid; "
                             f"this model has {model.vis_spatial_grid}")


@dataclass
class TrainConfig:
    model: DolphinConfig = field(default_factory=DolphinConfig)
    out_dir: str = "trainer/runs/tiny"
    data_dir: str = "trainer/data/synth"
    train_clips: int = 2000
    val_clips: int = 0               # the next clips of the cache, for a quick exact-match check at the end
    data_seed: int = 10_000_000      # training clips use seeds data_seed + i; eval uses other seeds
    tokenizer_vocab: int = 2048
    stage0: StageConfig = field(default_factory=lambda: StageConfig(steps=300, batch_clips=16, lr=2e-3))
    stage0_lm: StageConfig = field(default_factory=lambda: StageConfig(steps=200, batch_clips=8, lr=2e-3))
    stage1: StageConfig = field(default_factory=lambda: StageConfig(steps=300, batch_clips=8, lr=2e-3))
    stage2: StageConfig = field(default_factory=lambda: StageConfig(steps=900, batch_clips=8, lr=1e-3))
    # Optional, after stage 2: the adapter frozen too, its features computed once per clip, and merging +
    # projectors + LLM trained on the questions that name a shape (train.py STAGE2B): None skips it.
    stage2b: StageConfig | None = None
    lookup: LookupConfig = field(default_factory=LookupConfig)
    # stage 0 also trains heads on each cell's time average (still / bouncing / moving, which cell): what the
    # decoder's spatial tokens are. On in the shipped recipe (tiny.json); docs/TEAM-NOTES.md has why.
    time_average_heads: bool = False
    init_from: str | None = None     # a checkpoint whose stage-0 products (encoders, LLM, tokenizer) to start from
    qa_per_clip: int = 12            # Q&A pairs sampled per clip per step (encoder runs once per clip)
    device: str = "auto"
    threads: int = 2
    seed: int = 0
    log_every: int = 10
    ckpt_every: int = 100

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        model = DolphinConfig.from_dict(d.pop("model", {}))
        stages = {k: StageConfig(**v) if v is not None else None
                  for k in ("stage0", "stage0_lm", "stage1", "stage2", "stage2b") if k in d for v in [d.pop(k)]}
        lookup = LookupConfig(**d.pop("lookup", {}))
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown TrainConfig fields: {sorted(unknown)}")
        return cls(model=model, lookup=lookup, **stages, **d)

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_dict(self) -> dict:
        return asdict(self)
