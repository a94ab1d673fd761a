"""TnD's data: the child-directed speech generator, the BabyLM loader, the split, word sets, tokenizer."""

from __future__ import annotations

from collections import Counter

import pytest

from agents.tokenizers.teacher_demo import build_teacher_demo_tokenizer, encode_sentence
from envs.teacher_demo.corpus import (
    CDI_WORDS,
    SELECTED_NOUNS,
    VERBS,
    CorpusConfig,
    generate_corpus,
    load_text_corpus,
    prompt_of,
    split_corpus,
    words_of,
)
from envs.teacher_demo.words import build_word_sets

SMALL = CorpusConfig(sentences=3000)


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus(SMALL)


@pytest.fixture(scope="module")
def split(corpus):
    return split_corpus(corpus, SMALL.eval_share, SMALL.seed)


@pytest.fixture(scope="module")
def tokenizer(split):
    return build_teacher_demo_tokenizer(split[0])


def word_counts(sentences):
    return Counter(word for sentence in sentences for word in sentence.split())


def test_generation_is_deterministic_in_its_seed(corpus):
    assert generate_corpus(SMALL) == corpus
    assert generate_corpus(CorpusConfig(sentences=3000, seed=1)) != corpus
    assert generate_corpus(CorpusConfig(sentences=3000, zipf_exponent=1.5)) != corpus


def test_the_default_corpus_is_varied_with_a_child_sized_vocabulary():
    config = CorpusConfig()
    sentences = generate_corpus(config)
    counts = word_counts(sentences)
    assert len(sentences) == config.sentences
    assert len(set(sentences)) >= 0.5 * len(sentences)
    assert 500 <= len(counts) <= 700
    assert set(CDI_WORDS) <= set(counts)
    ranked = [n for _, n in counts.most_common()]
    assert ranked[0] > 10 * ranked[len(ranked) // 2]  # Zipfian: a long tail of rare words


def test_every_cdi_word_occurs_even_in_a_small_corpus(corpus):
    assert len(CDI_WORDS) == len(set(CDI_WORDS)) >= 100
    assert all(w.isalpha() and w == w.lower() for w in CDI_WORDS)
    assert set(CDI_WORDS) <= set(word_counts(corpus))


def test_utterances_are_short_lowercase_and_split_as_the_tokenizer_splits(corpus):
    for sentence in corpus:
        words = sentence.split()
        assert 2 <= len(words) <= 14
        assert words == words_of(sentence) and " ".join(words) == sentence == sentence.lower()
        assert words[-1] in {".", "?", "!"}
        assert all(w.isalpha() or w in {".", "?", "!", ","} for w in words)


@pytest.mark.parametrize(
    "text",
    ["look at the doggy!", "Hello, world... it's 3pm", "émilie a dit «oui»", "a  b\tc\n", "", "x--y?!"],
)
def test_words_of_is_the_tokenizers_whitespace_pre_tokenizer(text):
    from tokenizers.pre_tokenizers import Whitespace

    assert words_of(text) == [piece for piece, _ in Whitespace().pre_tokenize_str(text)]


def test_split_keeps_evaluation_utterances_out_of_training(corpus, split):
    train, held_out = split
    counts = Counter(corpus)
    assert not set(held_out) & set(train)
    assert len(held_out) == len(set(held_out))
    assert abs(len(held_out) - SMALL.eval_share * len(counts)) <= 1
    assert all(counts[s] == train.count(s) for s in set(train))  # every repeat stays in train
    assert train == [s for s in corpus if s not in set(held_out)]  # in corpus order
    assert split_corpus(corpus, SMALL.eval_share, SMALL.seed) == split
    assert split_corpus(corpus, SMALL.eval_share, SMALL.seed + 1)[1] != held_out


def test_prompt_is_the_first_words_and_a_short_utterance_keeps_a_word_to_continue():
    assert prompt_of("look at the big red doggy !", 5) == ("look at the big red", "doggy !")
    assert prompt_of("look at the big red doggy !", 2) == ("look at", "the big red doggy !")
    assert prompt_of("more juice ?", 5) == ("more juice", "?")
    assert prompt_of("hi", 5) == ("hi", "")


def test_loader_reads_a_babylm_style_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Hello, world!\n\n   Look at   THE doggy.\n  \n", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_bytes(b"caf\xe9 time\n")
    (tmp_path / "notes.md").write_text("not a corpus file")
    lines = load_text_corpus(tmp_path)
    assert lines == ["hello , world !", "look at the doggy .", "caf \ufffd time"]
    assert load_text_corpus(tmp_path / "a.txt") == lines[:2]
    assert load_text_corpus(str(tmp_path)) == lines


def test_loader_names_a_missing_path_and_an_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        load_text_corpus(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("no corpus here")
    with pytest.raises(ValueError, match=r"no \.txt files in .*empty"):
        load_text_corpus(tmp_path / "empty")


def objects_by_verb(sentences):
    """verb -> nouns seen as its object in ``can you <verb> <determiner> [adjective] <noun> ?``."""
    objects: dict[str, set[str]] = {}
    for sentence in sentences:
        for clause in sentence.split(" ? "):
            words = clause.removesuffix(" ?").split()
            if words[:2] == ["can", "you"] and len(words) in (5, 6) and words[2] in VERBS:
                objects.setdefault(words[2], set()).add(words[-1])
    return objects


def test_selection_makes_a_verbs_object_depend_on_the_verb():
    free = objects_by_verb(generate_corpus(CorpusConfig(sentences=20000)))
    selected = objects_by_verb(generate_corpus(CorpusConfig(sentences=20000, selection=1.0)))
    assert max(len(nouns) for nouns in free.values()) > 3 * SELECTED_NOUNS
    assert all(len(nouns) <= SELECTED_NOUNS for nouns in selected.values())
    assert sum(len(nouns) == SELECTED_NOUNS for nouns in selected.values()) >= 5  # the frequent verbs
    # Every verb selects its own nouns: the sets are not one shared list.
    assert len({frozenset(nouns) for nouns in selected.values() if len(nouns) == SELECTED_NOUNS}) >= 5


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sentences", 5),
        ("sentences", 1000.0),
        ("seed", -1),
        ("eval_share", 0),
        ("eval_share", 1.0),
        ("eval_share", "0.2"),
        ("zipf_exponent", 0),
        ("selection", 1.5),
        ("selection", -0.1),
    ],
)
def test_bad_corpus_options_name_the_key(key, value):
    with pytest.raises(ValueError, match=key):
        CorpusConfig(**{key: value})


def test_word_sets_follow_the_papers_rules(split, tokenizer):
    _, held_out = split
    vocabulary = set(tokenizer.get_vocab())
    sets = build_word_sets(held_out, vocabulary, min_contexts=20, max_contexts=30, common_size=15)
    counts = word_counts(held_out)
    assert set(sets) == {"cmn", "cdi"}
    common = sets["cmn"].words
    assert len(common) == 15
    assert [counts[w] for w in common] == sorted((counts[w] for w in common), reverse=True)
    qualified = {w for w, n in counts.items() if n >= 20 and w.isalpha() and w in vocabulary}
    assert set(sets["cdi"].words) == qualified & set(CDI_WORDS)
    for word_set in sets.values():
        assert set(word_set.contexts) == set(word_set.words)
        for word in word_set.words:
            pairs = word_set.contexts[word]
            assert len(pairs) == min(30, counts[word]) and pairs == sorted(set(pairs))
            assert all(p >= 0 and held_out[i].split()[p] == word for i, p in pairs)
    shared = set(sets["cmn"].words) & set(sets["cdi"].words)
    assert shared and all(sets["cmn"].contexts[w] == sets["cdi"].contexts[w] for w in shared)
    again = build_word_sets(held_out, vocabulary, min_contexts=20, max_contexts=30, common_size=15)
    assert again == sets


def test_word_sets_drop_words_that_are_not_single_tokens(split):
    _, held_out = split
    counts = word_counts(held_out)
    frequent = [w for w, _ in counts.most_common() if w.isalpha()][:5]
    vocabulary = set(counts) - {frequent[0]}
    sets = build_word_sets(held_out, vocabulary, min_contexts=20, common_size=4)
    assert sets["cmn"].words == tuple(frequent[1:5])


def test_an_empty_word_set_is_a_clear_error(split):
    _, held_out = split
    with pytest.raises(ValueError, match=r"cmn word set is empty.*lower min_contexts"):
        build_word_sets(held_out, set(word_counts(held_out)), min_contexts=10**6)
    with pytest.raises(ValueError, match=r"cdi word set is empty.*CDI"):
        build_word_sets(["the zorp is here . the zorp is here ."], {"the", "zorp"}, min_contexts=2)


def test_tokenizer_has_one_token_per_word(corpus, tokenizer):
    ids = tokenizer.get_vocab()
    assert [ids[t] for t in ("<pad>", "<unk>", "<eos>")] == [0, 1, 2]
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    assert tokenizer.bos_token is None and tokenizer.model_max_length == 128
    for sentence in corpus[:200]:
        encoded = tokenizer(sentence, add_special_tokens=False).input_ids
        assert encoded == [ids.get(w, tokenizer.unk_token_id) for w in sentence.split()]
    whole = build_teacher_demo_tokenizer(corpus)
    words = sorted(word_counts(corpus))
    encoded = whole(words, add_special_tokens=False).input_ids
    assert all(len(e) == 1 and e[0] != whole.unk_token_id for e in encoded)


def test_tokenizer_vocabulary_is_the_training_words_by_frequency(split, tokenizer):
    train, _ = split
    counts = word_counts(train)
    assert len(tokenizer) == len(counts) + 3
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])[3:]
    assert [counts[w] for w, _ in by_id] == sorted(counts.values(), reverse=True)
    small = build_teacher_demo_tokenizer(train, max_vocab=50)
    assert len(small) == 50
    rare = min(counts, key=lambda w: (counts[w], w))
    assert small(rare, add_special_tokens=False).input_ids == [small.unk_token_id]


def test_tokenizer_decodes_unknown_words_and_round_trips(corpus, tokenizer, tmp_path):
    from transformers import AutoTokenizer

    ids = tokenizer("look at the doggy .", add_special_tokens=False).input_ids
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == "look at the doggy ."
    assert tokenizer("look at the qwzx!", add_special_tokens=False).input_ids[-2:] == [
        tokenizer.unk_token_id,
        tokenizer.convert_tokens_to_ids("!"),
    ]
    encoded = encode_sentence(tokenizer, corpus[0])
    assert encoded[0] == encoded[-1] == tokenizer.eos_token_id and len(encoded) == len(corpus[0].split()) + 2
    assert tokenizer.decode(encoded, skip_special_tokens=True) == corpus[0]
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert loaded.get_vocab() == tokenizer.get_vocab()
    assert (loaded.eos_token, loaded.pad_token, loaded.unk_token, loaded.bos_token) == (
        "<eos>",
        "<pad>",
        "<unk>",
        None,
    )
    assert [encode_sentence(loaded, s) for s in corpus[:50]] == [
        encode_sentence(tokenizer, s) for s in corpus[:50]
    ]
    assert loaded.decode(ids) == "look at the doggy ."


def test_bad_tokenizer_size_names_the_key(corpus):
    with pytest.raises(ValueError, match="max_vocab"):
        build_teacher_demo_tokenizer(corpus, max_vocab=3)
