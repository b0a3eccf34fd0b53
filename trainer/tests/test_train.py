"""A few steps of every stage on a handful of clips: losses are finite, encoders end frozen,
the run resumes, and the final checkpoint answers questions and exports."""
import json

import torch

from avu_trainer.checkpoint import load_checkpoint
from avu_trainer.config import DolphinConfig, StageConfig, TrainConfig
from avu_trainer.infer import load_model
from avu_trainer.data import batch_labels, clip_labels
from avu_trainer.train import (AVG_MOTIONS, AttributeHeads, false_premise_questions, lr_at, main, pack_qa,
                                time_average_targets)
from avu_trainer.tokenizer import encode_answer, train_tokenizer


def small_config(tmp_path, steps=2) -> TrainConfig:
    model = DolphinConfig(vis_dim=32, aud_dim=32, vis_heads=2, aud_heads=2, adapter_dim=16, adapter_heads=2,
                          merge_heads=2, dim=64, n_heads=2, ffn_hidden=128, vocab_size=512)
    st = lambda: StageConfig(steps=steps, batch_clips=2, lr=1e-3)  # noqa: E731
    return TrainConfig(model=model, out_dir=str(tmp_path / "run"), data_dir=str(tmp_path / "cache"),
                       train_clips=18, val_clips=1, tokenizer_vocab=512, stage0=st(), stage0_lm=st(),  # 2b: clips 16-17 have no noise row
                       stage1=st(), stage2=st(), stage2b=StageConfig(steps=steps, batch_clips=2, lr=1e-3, lookup_weight=0.2),
                       qa_per_clip=4, log_every=1, ckpt_every=1)


def test_lr_schedule_warms_up_then_decays():
    assert lr_at(0.0, 1.0, 0.1) < lr_at(0.1, 1.0, 0.1) == 1.0
    assert abs(lr_at(1.0, 1.0, 0.1) - 0.1) < 1e-9


def test_packed_qa_blocks_do_not_see_each_other():
    tok = train_tokenizer(["What is it? a red circle", "Where? left"] * 10, 300)
    ids, tgt, w, pos, bias, _ = pack_qa(tok, [[("What is it?", "red"), ("Where?", "left")]], P=3, device="cpu")
    blocks = bias[0, 0] == 0                                              # (P+L, P+L) visible
    n1 = len(tok.encode("<s>USER: What is it? ASSISTANT:").ids) + len(tok.encode(" red").ids) + 1
    assert blocks[3 + n1, :3].all()                                       # second pair sees the prefix
    assert not blocks[3 + n1, 3:3 + n1].any()                             # but not the first pair
    assert pos[0, 3 + n1].item() == 3                                     # and restarts its positions
    assert abs(w[tgt != -100].sum().item() * 1.0 - 1.0) < 1e-5            # weights: mean over pairs


def test_first_token_share_moves_weight_to_where_an_answer_and_a_rejection_part_ways():
    tok = train_tokenizer(["Where is it? top left", "There is no sounding object in the picture."] * 10, 300)
    pairs = [("Where is it?", "top left"), ("Where is it?", "There is no sounding object in the picture.")]
    even = pack_qa(tok, [pairs], P=3, device="cpu")
    tilted = pack_qa(tok, [pairs], P=3, device="cpu", first_token_shares=[[0.5, 0.5]])
    assert torch.equal(even.tgt, tilted.tgt)
    answering = (even.tgt[0] != -100).nonzero()[:, 0].tolist()
    firsts = [t for t in answering if even.tgt[0, t - 1] == -100]        # each pair's first answer position
    assert [even.tgt[0, t].item() for t in firsts] == [encode_answer(tok, a)[0] for _, a in pairs]
    long_first, long_rest = firsts[1], answering[-1]
    n_long = sum(1 for t in answering if t >= long_first)
    assert abs(even.w[0, long_first].item() - 1 / (2 * n_long)) < 1e-6          # 1/2 per pair, spread evenly
    assert abs(tilted.w[0, long_first].item() - (0.5 / 2 + 0.5 / (2 * n_long))) < 1e-6
    assert tilted.w[0, long_rest].item() < even.w[0, long_rest].item()
    for b in (even, tilted):                                              # every pair still weighs the same
        w = b.w[0] * (b.tgt[0] != -100)
        assert abs(w[:long_first].sum().item() - 0.5) < 1e-6 and abs(w[long_first:].sum().item() - 0.5) < 1e-6
    only_second = pack_qa(tok, [pairs], P=3, device="cpu", first_token_shares=[[0.0, 0.5]])
    first_pair = [t for t in answering if t < long_first]
    second_pair = [t for t in answering if t >= long_first]
    assert torch.equal(only_second.w[0, first_pair], even.w[0, first_pair])
    assert torch.equal(only_second.w[0, second_pair], tilted.w[0, second_pair])


def test_false_premise_questions_are_those_rejected_somewhere_and_every_shape_colour():
    clips = [{"qa": [{"subset": "negative", "q": "Where is the sounding object?", "a": "There is no sounding object."},
                     {"subset": "tasks", "q": "When does the sound event start and end?", "a": "0.5 s to 1.5 s"}]},
             {"qa": [{"subset": "tasks", "q": "Where is the sounding object?", "a": "top left"}]}]
    qs = false_premise_questions(clips)
    assert "Where is the sounding object?" in qs and "What colour is the square?" in qs
    assert "When does the sound event start and end?" not in qs                # times keep even weights


def test_all_stages_run_resume_and_answer(tmp_path, capsys):
    cfg = small_config(tmp_path)
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert main(["--config", str(path)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    progress = [x for x in lines if "loss" in x]
    assert {x["stage"] for x in progress} == {"stage0_encoders", "stage0_lm", "stage1", "stage2", "stage2b"}
    assert all(k in progress[0] for k in ("stage", "step", "loss", "lr", "samples_per_s", "eta_s"))
    assert all(torch.isfinite(torch.tensor(x["loss"])) for x in progress)
    looking = [x["acc"] for x in progress if x["stage"] == "stage2b"]
    assert looking and all({"word", "answer"} <= set(a) and all(0 <= v <= 1 for v in a.values()) for a in looking)
    model, tok, state = load_checkpoint(tmp_path / "run" / "final.pt")
    assert state["model_config"]["dim"] == 64 and state["train_config"]["train_clips"] == 18
    s0, _, _ = load_checkpoint(tmp_path / "run" / "stage0_encoders.pt")
    for a, b in zip(s0.vis_enc.parameters(), model.vis_enc.parameters()):
        assert torch.equal(a, b)                                          # frozen after stage 0
    s2, _, _ = load_checkpoint(tmp_path / "run" / "stage2.pt")
    assert all(torch.equal(a, b) for a, b in zip(s2.adapter.parameters(), model.adapter.parameters()))  # 2b: adapter frozen
    assert not all(torch.equal(a, b) for a, b in zip(s2.decoder.parameters(), model.decoder.parameters()))  # the LLM trains
    # resuming a finished run does no more steps
    assert main(["--config", str(path)]) == 0
    again = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert not [x for x in again if "loss" in x]
    runner = load_model(tmp_path / "run" / "final.pt")
    f, s = torch.randn(8, 3, 224, 224).numpy(), torch.randn(8, 1, 128, 204).numpy()
    answers = runner.answer(f, s, ["What pitch is the sound?", "What colour is the circle?"], max_new_tokens=4)
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)


def test_an_ablation_starts_from_the_full_runs_stage_0(tmp_path, capsys):
    """init_from: the ablation keeps the full run's frozen encoders, LLM and tokenizer, trains only stages 1-2,
    and its switched-off module is really gone."""
    cfg = small_config(tmp_path)
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert main(["--config", str(path)]) == 0
    abl = small_config(tmp_path)
    abl.model.av_adapter = False
    abl.out_dir = str(tmp_path / "ablation")
    abl.init_from = str(tmp_path / "run" / "stage0_lm.pt")
    apath = tmp_path / "abl.json"
    apath.write_text(json.dumps(abl.to_dict()))
    capsys.readouterr()
    assert main(["--config", str(apath)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {x["stage"] for x in lines if "loss" in x} == {"stage1", "stage2", "stage2b"}
    src, src_tok, _ = load_checkpoint(tmp_path / "run" / "stage0_lm.pt")
    model, tok, _ = load_checkpoint(tmp_path / "ablation" / "final.pt")
    assert not hasattr(model, "adapter") and hasattr(src, "adapter")
    for name in ("vis_enc", "aud_enc"):
        for a, b in zip(getattr(src, name).parameters(), getattr(model, name).parameters()):
            assert torch.equal(a, b)                                      # the same frozen encoders
    assert tok.get_vocab() == src_tok.get_vocab()


def cell_labels(*clips: list[tuple[str, str, str, str]]) -> dict:
    """batch_labels for synth clips given as (shape, row, col, motion) per object; the rest is fixed."""
    sound = {"source": "circle", "pitch": "low", "rhythm": "continuous", "start_s": 0.5, "end_s": 2.0}
    objects = lambda objs: [{"shape": sh, "colour": "red", "size": "small", "row": r, "col": c, "motion": mo, "lit": False}  # noqa: E731
                            for sh, r, c, mo in objs]
    return batch_labels([clip_labels({"attributes": {"objects": objects(objs), "sound": sound, "scene": "grey room"},
                                      "audio": "real", "duration_s": 4.0}) for objs in clips])


def test_time_average_targets_merge_left_and_right_and_name_each_occupied_cell():
    """The spatial tokens are a time average: stage 0 teaches what survives it. A drift symmetric about the cell
    centre averages to the centre, so left and right are one class there; empty cells teach nothing."""
    motion3, cell = time_average_targets(cell_labels(
        [("circle", "top", "left", "moving left"), ("square", "middle", "right", "moving right")],
        [("triangle", "bottom", "centre", "bouncing"), ("diamond", "top", "right", "still")]))
    still, bouncing, moving = range(AVG_MOTIONS)
    assert motion3[0, 0] == motion3[0, 5] == moving                       # left (top left) and right (right)
    assert motion3[1, 7] == bouncing and motion3[1, 2] == still
    assert cell[0, 0] == 0 and cell[0, 5] == 5 and cell[1, 7] == 7 and cell[1, 2] == 2
    empty = torch.ones(2, 9, dtype=torch.bool)
    empty[0, [0, 5]] = empty[1, [2, 7]] = False
    assert (motion3[empty] == -100).all() and (cell[empty] == -100).all()


def test_time_average_heads_read_the_frame_average_of_each_cell():
    """Features whose frame average says the cell and the motion (and single frames do not): with the flag, stage
    0's time-average heads learn them; without it, they are not there to learn."""
    torch.manual_seed(0)
    cfg = DolphinConfig(vis_dim=32, aud_dim=32, vis_heads=2, aud_heads=2)
    circle, square = ("circle", "top", "left", "moving left"), ("square", "bottom", "right", "still")
    triangle, diamond = ("triangle", "middle", "centre", "bouncing"), ("diamond", "top", "right", "moving right")
    y = cell_labels([circle, square], [triangle, diamond], [square, triangle])
    motion3, cell = time_average_targets(y)
    heads = AttributeHeads(cfg, time_average=True)
    grid = cfg.vis_grid[0] * cfg.vis_grid[1]
    # per patch: +-code on the two frames (their mean is the code), so no single frame carries it alone
    code = torch.zeros(3, grid, 32)
    member = heads.vis_pool.pool.argmax(0)                                # the cell each patch pools into
    for b in range(3):
        for p in range(grid):
            k = member[p].item()
            if cell[b, k] >= 0:
                code[b, p, k] = 4.0
                code[b, p, 9 + motion3[b, k]] = 4.0

    def frames():                                                         # (B, 2 frames, L, D), fresh noise
        noise = torch.randn(3, 1, grid, 32) * 8
        return torch.cat([code[:, None] + noise, code[:, None] - noise], dim=1)

    A = torch.zeros(3, 2, cfg.aud_grid[0] * cfg.aud_grid[1], 32)
    y["lit"], y["sounding"] = y["lit"][:, :2], y["sounding"][:, :2]
    opt = torch.optim.Adam(heads.parameters(), 0.05)
    for _ in range(60):
        loss, _ = heads(frames(), A, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        _, acc = heads(frames(), A, y)                                    # frames it has not seen
    assert acc["avg_motion"] == 1.0 and acc["avg_cell"] == 1.0
    _, plain = AttributeHeads(cfg)(frames(), A, y)
    assert "avg_motion" not in plain and "avg_cell" not in plain
