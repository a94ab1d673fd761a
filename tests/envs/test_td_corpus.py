"""TnD's corpora: the child-directed speech generator, the BabyLM loader, the split, word sets, tokenizer."""

from __future__ import annotations

from collections import Counter

import pytest

from agents.tokenizers.teacher_demo import build_teacher_demo_tokenizer, encode_sentence
from envs.teacher_demo.corpus import (
    CDI_WORDS,
    CorpusConfig,
    generate_corpus,
    load_text_corpus,
    prompt_of,
    split_corpus,
    words_of,
)
from envs.teacher_demo.words import build_word_sets


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(CorpusConfig(sentences=20000))


def test_generation_is_seeded_varied_and_zipfian(corpus):
    assert corpus[:100] == generate_corpus(CorpusConfig(sentences=100))
    assert corpus[:100] != generate_corpus(CorpusConfig(sentences=100, seed=1))
    assert len(set(corpus)) > 0.5 * len(corpus)
    counts = Counter(w for s in corpus for w in s.split())
    assert 400 < len(counts) < 800
    assert set(CDI_WORDS) <= set(counts)
    ranked = [n for _, n in counts.most_common()]
    assert ranked[0] > 10 * ranked[len(ranked) // 2]  # a long tail: the top word is far ahead


def test_generated_text_is_already_split_as_the_tokenizer_splits(corpus):
    assert all(s.split() == words_of(s) for s in corpus[:2000])


def test_words_of_is_the_tokenizers_whitespace_pre_tokenizer():
    from tokenizers.pre_tokenizers import Whitespace

    for text in ("look at the doggy!", "Hello, world... it's 3pm", "émilie a dit «oui»", "a  b\tc"):
        assert words_of(text) == [piece for piece, _ in Whitespace().pre_tokenize_str(text)]


def test_split_keeps_evaluation_utterances_out_of_training(corpus):
    train, held_out = split_corpus(corpus, 0.2, seed=0)
    assert not set(held_out) & set(train)
    assert len(held_out) == len(set(held_out))
    distinct = len(set(corpus))
    assert abs(len(held_out) - 0.2 * distinct) <= 1
    assert len(train) + sum(Counter(corpus)[s] for s in held_out) == len(corpus)  # train keeps repeats
    assert split_corpus(corpus, 0.2, seed=0) == (train, held_out)


def test_prompt_is_the_first_words_and_a_short_utterance_keeps_a_word_to_continue():
    assert prompt_of("look at the big red doggy !", 5) == ("look at the big red", "doggy !")
    assert prompt_of("more juice ?", 5) == ("more juice", "?")
    assert prompt_of("hi", 5) == ("hi", "")


def test_loader_reads_a_babylm_style_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Hello, world!\n\n   Look at   THE doggy.\n", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_bytes(b"caf\xe9 time\n")
    (tmp_path / "notes.md").write_text("not a corpus file")
    lines = load_text_corpus(tmp_path)
    assert lines == ["hello , world !", "look at the doggy .", "caf \ufffd time"]
    assert load_text_corpus(tmp_path / "a.txt") == lines[:2]


def test_loader_names_a_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load_text_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .txt"):
        load_text_corpus(tmp_path / "empty")


@pytest.mark.parametrize(("key", "value"), [("sentences", 5), ("eval_share", 1.0), ("zipf_exponent", 0)])
def test_bad_corpus_options_name_the_key(key, value):
    with pytest.raises(ValueError, match=key):
        CorpusConfig(**{key: value})


def test_word_sets_follow_the_papers_rules(corpus):
    train, held_out = split_corpus(corpus, 0.2, seed=0)
    tokenizer = build_teacher_demo_tokenizer(train)
    sets = build_word_sets(
        held_out, set(tokenizer.get_vocab()), min_contexts=30, max_contexts=40, common_size=50
    )
    counts = Counter(w for s in held_out for w in s.split())
    common = sets["cmn"].words
    assert len(common) == 50 and all(w.isalpha() for w in common)
    assert [counts[w] for w in common] == sorted((counts[w] for w in common), reverse=True)
    assert set(sets["cdi"].words) <= set(CDI_WORDS)
    for word_set in sets.values():
        for word in word_set.words:
            pairs = word_set.contexts[word]
            assert counts[word] >= 30 and len(pairs) == min(40, counts[word])
            assert all(held_out[i].split()[p] == word for i, p in pairs)


def test_an_empty_word_set_is_a_clear_error(corpus):
    with pytest.raises(ValueError, match="min_contexts"):
        build_word_sets(corpus[:10], {"the"}, min_contexts=10_000)


def test_tokenizer_has_one_token_per_word_and_round_trips(corpus, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = build_teacher_demo_tokenizer(corpus)
    sentence = corpus[0]
    ids = tokenizer(sentence, add_special_tokens=False).input_ids
    assert len(ids) == len(sentence.split()) and tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == sentence
    assert tokenizer("look at the qwzx", add_special_tokens=False).input_ids[-1] == tokenizer.unk_token_id
    encoded = encode_sentence(tokenizer, sentence)
    assert encoded[0] == encoded[-1] == tokenizer.eos_token_id
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded(sentence, add_special_tokens=False).input_ids == ids
    assert loaded.decode(ids) == sentence
    assert len(build_teacher_demo_tokenizer(corpus, max_vocab=50)) == 50
