"""A small byte-level BPE trained on the synth text, in Hugging Face tokenizer.json format
(loads in Python `tokenizers` and in @huggingface/tokenizers for the TypeScript side).

Prompt format (the bundle manifest's `prompts.template`): "<s>USER: {question} ASSISTANT:" and the
answer follows as " {answer}</s>". Training encodes the prompt and the answer separately and
concatenates the ids, which is what greedy generation after the prompt reproduces.
"""
from __future__ import annotations

from typing import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIAL = [PAD, BOS, EOS, UNK]            # ids 0, 1, 2, 3
PROMPT_TEMPLATE = "<s>USER: {{ question }} ASSISTANT:"


def render_prompt(question: str) -> str:
    return PROMPT_TEMPLATE.replace("{{ question }}", question)


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    assert [tok.token_to_id(t) for t in SPECIAL] == [0, 1, 2, 3], "special token ids are part of the bundle contract"
    return tok


def encode_prompt(tok: Tokenizer, question: str) -> list[int]:
    return tok.encode(render_prompt(question), add_special_tokens=False).ids


def encode_answer(tok: Tokenizer, answer: str) -> list[int]:
    return tok.encode(" " + answer, add_special_tokens=False).ids + [tok.token_to_id(EOS)]


def decode_answer(tok: Tokenizer, ids: list[int]) -> str:
    eos = tok.token_to_id(EOS)
    if eos in ids:
        ids = ids[: ids.index(eos)]
    return tok.decode(ids, skip_special_tokens=True).strip()
