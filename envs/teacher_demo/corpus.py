"""Child-directed speech: a generator, a loader for plain-text corpora, and the train/eval split.

TnD trains on BabyLM (transcribed speech to children, CHILDES) and BookCorpus. Offline, the
generator below writes speech of the same kind from a small grammar: short questions,
imperatives, declaratives and fragments (``do you want the ball ?``, ``look at the big doggy !``,
``uh oh .``) over a vocabulary with MacArthur-Bates CDI-like early words, function words and a
Zipfian choice of words within each part of speech, so that frequent words are learnt early and
rare ones take thousands of steps, as in real speech. A user with BabyLM's ``.txt`` files reads
them with :func:`load_text_corpus` instead.

Text is lowercase words separated by single spaces, punctuation as its own word; :func:`words_of`
is the split, the same as the tokenizer's pre-tokenizer.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from envs.checks import check_int, check_number

VERSION = 1
"""Bumped whenever generated text changes (it is part of the cache keys of teachers)."""

# MacArthur-Bates CDI-like early words (single words): what children say first.
CDI_NOUNS = (
    "dog", "doggy", "cat", "kitty", "duck", "bird", "cow", "horse", "fish", "bear", "bunny", "pig",
    "sheep", "monkey", "lion", "frog", "ball", "book", "car", "truck", "train", "block", "doll",
    "balloon", "bubbles", "juice", "milk", "water", "cookie", "apple", "banana", "cheese", "bread",
    "cracker", "cereal", "egg", "shoe", "sock", "hat", "coat", "diaper", "nose", "eye", "ear",
    "mouth", "hand", "foot", "toe", "tummy", "hair", "mommy", "daddy", "baby", "grandma", "grandpa",
    "bath", "bed", "blanket", "cup", "spoon", "bottle", "chair", "door", "window", "table", "light",
    "tree", "flower", "sun", "moon", "house", "outside", "park", "toy",
)  # fmt: skip
CDI_VERBS = (
    "eat", "drink", "go", "look", "see", "want", "give", "get", "play", "sleep", "sit", "open",
    "push", "read", "kiss", "hug", "run", "jump", "throw", "wash", "help", "come", "put", "find",
)  # fmt: skip
CDI_ADJECTIVES = (
    "big",
    "little",
    "hot",
    "cold",
    "wet",
    "dirty",
    "all gone",
    "yucky",
    "happy",
    "sleepy",
    "red",
    "blue",
)
CDI_OTHER = (
    "more",
    "no",
    "yes",
    "up",
    "down",
    "bye",
    "hi",
    "uh",
    "oh",
    "please",
    "thank",
    "you",
    "mine",
    "here",
    "there",
)
CDI_WORDS = tuple(
    w for w in (*CDI_NOUNS, *CDI_VERBS, *CDI_ADJECTIVES, *CDI_OTHER) if " " not in w
)  # "all gone" is a CDI item of two words: the paper drops multi-word items, so is it here

# The rest of the lexicon: words a caregiver uses around the early ones.
NOUNS = (
    *CDI_NOUNS,
    "puppy", "kitten", "elephant", "giraffe", "tiger", "zebra", "turtle", "snake", "butterfly",
    "bee", "spider", "owl", "chicken", "goat", "mouse", "squirrel", "rabbit", "dinosaur", "puzzle",
    "crayon", "paper", "box", "bag", "basket", "bucket", "shovel", "swing", "slide", "bike", "boat",
    "plane", "bus", "drum", "horn", "bell", "song", "story", "picture", "color", "circle", "star",
    "heart", "sandwich", "soup", "pasta", "rice", "carrot", "pea", "grape", "orange", "berry",
    "pear", "peach", "yogurt", "butter", "jelly", "pancake", "muffin", "pizza", "candy", "cake",
    "icecream", "snack", "lunch", "dinner", "breakfast", "plate", "bowl", "fork", "napkin", "bib",
    "pajamas", "shirt", "pants", "dress", "boots", "mittens", "jacket", "button", "zipper", "pocket",
    "finger", "knee", "elbow", "chin", "cheek", "teeth", "tongue", "arm", "leg", "head", "back",
    "brother", "sister", "friend", "teacher", "doctor", "lady", "man", "boy", "girl", "kid",
    "room", "kitchen", "bathroom", "garden", "yard", "store", "school", "beach", "pool", "car seat",
    "stroller", "crib", "pillow", "towel", "soap", "brush", "comb", "toothbrush", "potty", "sink",
    "stairs", "floor", "wall", "couch", "lamp", "clock", "phone", "tv", "computer", "key", "rock",
    "stick", "leaf", "grass", "sand", "mud", "snow", "rain", "cloud", "sky", "water table", "hole",
    "bridge", "road", "truck driver", "farm", "zoo", "nest", "egg shell", "tower", "castle",
    "rocket", "robot", "monster", "fairy", "princess", "pirate", "cowboy", "helmet", "sticker",
    "present", "birthday", "party", "game", "turn", "mess", "noise", "nap", "bedtime", "morning",
    "night", "day", "minute", "time", "thing", "one", "piece", "bit", "top", "bottom", "side",
)  # fmt: skip
VERBS = (
    *CDI_VERBS,
    "make", "take", "bring", "hold", "share", "wait", "stop", "listen", "say", "sing", "dance",
    "draw", "color", "build", "climb", "catch", "kick", "roll", "drop", "pick", "clean", "dry",
    "brush", "cook", "bake", "cut", "pour", "spill", "fix", "break", "hide", "touch", "feel", "smell",
    "taste", "like", "love", "need", "try", "show", "tell", "ask", "fall", "fly", "swim", "walk",
    "ride", "drive", "wear", "change", "close", "turn", "watch", "count", "stack",
)  # fmt: skip
ADJECTIVES = (
    *(a for a in CDI_ADJECTIVES if " " not in a),
    "good", "nice", "pretty", "silly", "funny", "soft", "hard", "loud", "quiet", "fast", "slow",
    "yellow", "green", "purple", "pink", "white", "black", "brown", "round", "tiny", "huge", "new",
    "old", "clean", "sticky", "hungry", "tired", "sad", "scary", "yummy", "warm", "heavy", "empty",
    "full", "sweet", "gentle", "careful", "fluffy", "shiny", "bumpy", "messy", "special",
)  # fmt: skip
NAMES = (
    "emma",
    "liam",
    "olivia",
    "noah",
    "ava",
    "leo",
    "mia",
    "max",
    "lily",
    "sam",
    "zoe",
    "ben",
    "ruby",
    "jack",
)
PLACES_PREP = ("in", "on", "under", "behind", "next to", "near", "inside", "over", "by")
DETERMINERS = ("the", "a", "your", "my", "this", "that", "his", "her", "our")
PRONOUNS = ("it", "that", "this", "them", "him", "her")
SUBJECTS = ("you", "we", "i", "he", "she", "they")
PROGRESSIVE = {"you": "are", "we": "are", "i": "am", "he": "is", "she": "is", "they": "are"}
ADVERBS = ("now", "again", "too", "please", "later", "today", "right now", "all by yourself", "very gently")
INTERJECTIONS = (
    "uh oh",
    "oh no",
    "wow",
    "yay",
    "oops",
    "hi",
    "bye bye",
    "okay",
    "good job",
    "all done",
    "thank you",
)
TAGS = ("okay", "right", "huh", "sweetie", "honey", "buddy")


@dataclass
class CorpusConfig:
    """The generated child-directed speech."""

    sentences: int = 60000
    """Utterances generated."""
    seed: int = 0
    """Seed of the generator (and of the train/eval split)."""
    eval_share: float = 0.2
    """Share of the distinct utterances held out for evaluation (the paper's 80/20 split)."""
    zipf_exponent: float = 1.0
    """How skewed word choice within a part of speech is: weight 1/rank**exponent."""

    def __post_init__(self) -> None:
        check_int("sentences", self.sentences, minimum=100)
        check_int("seed", self.seed, minimum=0)
        check_number("eval_share", self.eval_share, minimum=1e-6, maximum=1 - 1e-6)
        check_number("zipf_exponent", self.zipf_exponent, minimum=1e-6)


class _Lexicon:
    """Word draws with Zipfian weights over a fixed seeded order of each part of speech."""

    def __init__(self, rng: random.Random, exponent: float):
        self.rng = rng
        self.pools: dict[str, tuple[list[str], list[float]]] = {}
        order = random.Random(12345)  # the ranks never depend on the run's seed: same frequencies
        for name, words in (("noun", NOUNS), ("verb", VERBS), ("adj", ADJECTIVES), ("name", NAMES)):
            ranked = list(dict.fromkeys(words))
            order.shuffle(ranked)
            self.pools[name] = (ranked, [1 / (rank + 1) ** exponent for rank in range(len(ranked))])

    def __call__(self, pos: str) -> str:
        words, weights = self.pools[pos]
        return self.rng.choices(words, weights)[0]

    def one(self, options) -> str:
        return self.rng.choice(options)


def _noun_phrase(w: _Lexicon) -> str:
    rng = w.rng
    adjective = f"{w('adj')} " if rng.random() < 0.3 else ""
    return f"{w.one(DETERMINERS)} {adjective}{w('noun')}"


def _utterance(w: _Lexicon) -> str:
    rng = w.rng
    subject = w.one(SUBJECTS)
    templates = (
        lambda: f"do you want {_noun_phrase(w)} ?",
        lambda: f"look at {_noun_phrase(w)} !",
        lambda: f"can you {w('verb')} {_noun_phrase(w)} ?",
        lambda: f"lets {w('verb')} {_noun_phrase(w)} {w.one(ADVERBS)} .",
        lambda: f"{_noun_phrase(w)} is {w('adj')} .",
        lambda: f"{_noun_phrase(w)} is {w.one(PLACES_PREP)} {_noun_phrase(w)} .",
        lambda: f"where is {_noun_phrase(w)} ?",
        lambda: f"what does {_noun_phrase(w)} say ?",
        lambda: f"{subject} {PROGRESSIVE[subject]} {_ing(w('verb'))} {_noun_phrase(w)} .",
        lambda: f"{w('verb')} {w.one(PRONOUNS)} {w.one(ADVERBS)} .",
        lambda: f"more {w('noun')} ?",
        lambda: f"{w.one(INTERJECTIONS)} .",
        lambda: f"{w.one(INTERJECTIONS)} , {w('name')} !",
        lambda: f"{w('name')} , {w('verb')} {_noun_phrase(w)} please .",
        lambda: f"is that {_noun_phrase(w)} ?",
        lambda: f"that is {_noun_phrase(w)} , {w.one(TAGS)} ?",
        lambda: f"yes , {w('name')} , {w.one(PRONOUNS)} is {w('adj')} .",
        lambda: f"there is {_noun_phrase(w)} !",
        lambda: "is that mine or yours ?",
        lambda: f"{subject} can {w('verb')} {w.one(PRONOUNS)} .",
        lambda: f"put {_noun_phrase(w)} {w.one(PLACES_PREP)} {_noun_phrase(w)} .",
        lambda: f"{w('name')} has {_noun_phrase(w)} .",
        lambda: f"the {w('noun')} goes {w.one(('up', 'down', 'in', 'out', 'away', 'round and round'))} .",
        lambda: f"{w('adj')} {w('noun')} !",
        lambda: f"no , do not {w('verb')} {_noun_phrase(w)} .",
        lambda: f"shall we {w('verb')} {_noun_phrase(w)} and {w('verb')} {_noun_phrase(w)} ?",
        lambda: f"{subject} want to {w('verb')} {_noun_phrase(w)} because {w.one(PRONOUNS)} is {w('adj')} .",
        lambda: f"here is {_noun_phrase(w)} for {w('name')} .",
        lambda: f"bye bye {w('noun')} .",
    )
    # Weights: fragments and questions dominate speech to toddlers; longer sentences are rarer.
    weights = (8, 7, 6, 4, 6, 4, 6, 3, 5, 4, 5, 5, 2, 2, 4, 2, 2, 2, 1, 3, 3, 2, 2, 3, 2, 1, 1, 2, 2)
    text = rng.choices(templates, weights)[0]()
    # A caregiver often says two things in one breath: a third of the lines have two clauses.
    if rng.random() < 1 / 3:
        text = f"{text} {rng.choices(templates, weights)[0]()}"
    return text


def _ing(verb: str) -> str:
    """The present participle (run -> running, make -> making, play -> playing)."""
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        return verb[:-1] + "ing"
    if len(verb) <= 4 and re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def generate_corpus(config: CorpusConfig) -> list[str]:
    """``config.sentences`` utterances, deterministic in ``config.seed``."""
    words = _Lexicon(random.Random(config.seed), config.zipf_exponent)
    return [" ".join(words_of(_utterance(words))) for _ in range(config.sentences)]


# The ``tokenizers`` library's ``Whitespace`` pre-tokenizer splits on this pattern: words are runs
# of word characters, punctuation runs of the rest; a test holds the two equal.
_WORD = re.compile(r"\w+|[^\w\s]+")


def words_of(text: str) -> list[str]:
    """The words (tokens) of a line: word characters together, punctuation apart."""
    return _WORD.findall(text)


def load_text_corpus(path: str | Path) -> list[str]:
    """The utterances of a BabyLM-style corpus: a ``.txt`` file or a folder of them (recursive,
    sorted), one utterance per line; lowercased, punctuation split off, blank lines dropped."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no corpus at {path}")
    files = [path] if path.is_file() else sorted(path.rglob("*.txt"))
    if not files:
        raise ValueError(f"no .txt files in {path}")
    sentences = []
    for file in files:
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            words = words_of(line.lower())
            if words:
                sentences.append(" ".join(words))
    return sentences


def split_corpus(sentences: list[str], eval_share: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, eval): the distinct utterances are split, so no evaluation utterance ever appears
    in training text. Train keeps every occurrence of its utterances (their frequency), in order;
    eval has each of its utterances once."""
    distinct = list(dict.fromkeys(sentences))
    random.Random(seed).shuffle(distinct)
    held_out = set(distinct[: round(len(distinct) * eval_share)])
    train = [s for s in sentences if s not in held_out]
    return train, [s for s in dict.fromkeys(sentences) if s in held_out]


def prompt_of(sentence: str, n_words: int = 5) -> tuple[str, str]:
    """(prompt, rest): the first ``n_words`` words and the rest; a shorter utterance keeps its
    last word for the rest (a prompt has at least one word)."""
    words = sentence.split()
    cut = min(n_words, max(1, len(words) - 1))
    return " ".join(words[:cut]), " ".join(words[cut:])
