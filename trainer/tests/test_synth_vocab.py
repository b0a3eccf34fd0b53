"""The closed vocabulary covers everything the generator says."""
from avu_trainer import vocab
from avu_trainer.synth import make_clip


def test_generated_meta_and_short_answers_are_in_the_vocabulary():
    for seed in range(40):
        for audio in ("real", "noise", "silence") + (("speech",) if seed % 10 == 0 else ()):
            c = make_clip(seed, None, audio)
            for mod, fields in c.meta.items():
                for f, kws in fields.items():
                    assert set(kws) <= set(vocab.META_VOCAB[mod][f]), (mod, f, kws)
            for q in c.qa:
                assert vocab.in_vocabulary(q["q"], q["a"]) in (True, None), q


def test_out_of_vocabulary_answers_are_flagged():
    assert vocab.in_vocabulary("What colour is the circle?", "red") is True
    assert vocab.in_vocabulary("What colour is the circle?", "There is no circle in this clip.") is True
    assert vocab.in_vocabulary("What colour is the circle?", "magenta") is False
    assert vocab.in_vocabulary("Describe what you hear.", "anything") is None


def test_corpus_is_deterministic_and_small():
    a, b = list(vocab.corpus(20)), list(vocab.corpus(20))
    assert a == b and len(a) > 500
    assert len(vocab.words(100)) < 300
