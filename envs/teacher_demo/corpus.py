"""Child-directed speech: a generator, a loader for plain-text corpora, and the train/eval split.

TnD trains on BabyLM (transcribed speech to children, CHILDES) and BookCorpus. Offline, the
generator below writes speech of the same kind from a small probabilistic grammar: short
questions, imperatives, declaratives, vocatives and fragments (``do you want the ball ?``,
``look at the big doggy !``, ``uh oh .``). Within each part of speech a word is drawn with
Zipfian weights, so a few words are heard all the time and most rarely, as in real speech; word
learning curves then spread over training instead of all ending in the first steps. A user with
BabyLM's ``.txt`` files reads them with :func:`load_text_corpus` instead.

Text is lowercase words separated by single spaces, punctuation as its own word; :func:`words_of`
is the split, the same as the tokenizer's pre-tokenizer.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from envs.checks import check_int, check_number

VERSION = 2
"""Bumped whenever generated text changes (it is part of the cache keys of teachers)."""

# MacArthur-Bates CDI-like early words, one word each (the paper drops multi-word items such as
# "all gone"): what children understand and say first.
# fmt: off
CDI_NOUNS = (
    "dog", "doggy", "cat", "kitty", "duck", "bird", "cow", "horse", "fish", "bear", "bunny", "pig",
    "sheep", "monkey", "lion", "frog", "ball", "book", "car", "truck", "train", "block", "doll",
    "balloon", "bubbles", "juice", "milk", "water", "cookie", "apple", "banana", "cheese", "bread",
    "cracker", "cereal", "egg", "shoe", "sock", "hat", "coat", "diaper", "nose", "eye", "ear",
    "mouth", "hand", "foot", "toe", "tummy", "hair", "mommy", "daddy", "baby", "grandma", "grandpa",
    "bath", "bed", "blanket", "cup", "spoon", "bottle", "chair", "door", "window", "table", "light",
    "tree", "flower", "sun", "moon", "house", "outside", "park", "toy",
)
CDI_VERBS = (
    "eat", "drink", "go", "look", "see", "want", "give", "get", "play", "sleep", "sit", "open",
    "push", "read", "kiss", "hug", "run", "jump", "throw", "wash", "help", "come", "put", "find",
)
CDI_ADJECTIVES = ("big", "little", "hot", "cold", "wet", "dirty", "yucky", "happy", "sleepy", "red", "blue")
CDI_OTHER = (
    "more", "no", "yes", "up", "down", "bye", "hi", "uh", "oh", "please", "thank", "you", "mine",
    "here", "there",
)
CDI_WORDS = (*CDI_NOUNS, *CDI_VERBS, *CDI_ADJECTIVES, *CDI_OTHER)

# The rest of the open classes: words a caregiver uses around the early ones.
NOUNS = (
    *CDI_NOUNS,
    "puppy", "kitten", "elephant", "giraffe", "tiger", "zebra", "turtle", "snake", "butterfly",
    "bee", "spider", "owl", "chicken", "goat", "mouse", "squirrel", "rabbit", "dinosaur", "puzzle",
    "crayon", "paper", "box", "bag", "basket", "bucket", "shovel", "swing", "slide", "bike", "boat",
    "plane", "bus", "drum", "horn", "bell", "song", "story", "picture", "circle", "star", "heart",
    "sandwich", "soup", "pasta", "rice", "carrot", "pea", "grape", "orange", "berry", "pear",
    "peach", "yogurt", "butter", "jelly", "pancake", "muffin", "pizza", "candy", "cake", "snack",
    "lunch", "dinner", "breakfast", "plate", "bowl", "fork", "napkin", "bib", "pajamas", "shirt",
    "pants", "dress", "boots", "mittens", "jacket", "button", "zipper", "pocket", "finger", "knee",
    "elbow", "chin", "cheek", "teeth", "tongue", "arm", "leg", "head", "back", "brother", "sister",
    "friend", "teacher", "doctor", "lady", "man", "boy", "girl", "kid", "room", "kitchen",
    "bathroom", "garden", "yard", "store", "school", "beach", "pool", "stroller", "crib", "pillow",
    "towel", "soap", "comb", "toothbrush", "potty", "sink", "stairs", "floor", "wall", "couch",
    "lamp", "clock", "phone", "tv", "computer", "key", "rock", "stick", "leaf", "grass", "sand",
    "mud", "snow", "rain", "cloud", "sky", "hole", "bridge", "road", "farm", "zoo", "nest", "tower",
    "castle", "rocket", "robot", "monster", "fairy", "princess", "pirate", "cowboy", "helmet",
    "sticker", "present", "birthday", "party", "game", "mess", "noise", "nap", "bedtime", "morning",
    "night", "day", "minute", "time", "thing", "piece", "bit", "top", "bottom", "side", "wagon",
    "tractor", "digger", "hammer", "spoonful", "seed", "worm", "ladybug", "penguin", "whale",
    "shark", "octopus", "crab", "shell", "wave", "kite", "flag", "drawer", "shelf", "rug", "mirror",
    "bandaid", "bump", "tickle", "snuggle", "lullaby",
)
VERBS = (
    *CDI_VERBS,
    "make", "take", "bring", "hold", "share", "wait", "stop", "listen", "say", "sing", "dance",
    "draw", "color", "build", "climb", "catch", "kick", "roll", "drop", "pick", "clean", "dry",
    "brush", "cook", "bake", "cut", "pour", "spill", "fix", "break", "hide", "touch", "feel",
    "smell", "taste", "like", "love", "need", "try", "show", "tell", "ask", "fall", "fly", "swim",
    "walk", "ride", "drive", "wear", "change", "close", "turn", "watch", "count", "stack", "shake",
)
ADJECTIVES = (
    *CDI_ADJECTIVES,
    "good", "nice", "pretty", "silly", "funny", "soft", "hard", "loud", "quiet", "fast", "slow",
    "yellow", "green", "purple", "pink", "white", "black", "brown", "round", "tiny", "huge", "new",
    "old", "clean", "sticky", "hungry", "tired", "sad", "scary", "yummy", "warm", "heavy", "empty",
    "full", "sweet", "gentle", "careful", "fluffy", "shiny", "bumpy", "messy", "special",
)
NAMES = (
    "emma", "liam", "olivia", "noah", "ava", "leo", "mia", "max", "lily", "sam", "zoe", "ben",
    "ruby", "jack",
)

# Closed classes: few words, each frequent; drawn uniformly.
DETERMINERS = ("the", "a", "your", "my", "this", "that", "his", "her", "our")
OBJECT_PRONOUNS = ("it", "that", "this", "them", "him", "her")
THING_PRONOUNS = ("it", "that", "this")
"""Pronouns that can also be the subject of ``is`` (``it is hot``)."""
SUBJECTS = {"you": "are", "we": "are", "i": "am", "he": "is", "she": "is", "they": "are"}
"""Subject pronouns and the auxiliary of their progressive (``we are running``)."""
PREPOSITIONS = ("in", "on", "under", "behind", "near", "inside", "over", "by", "with")
MODALS = ("can", "will", "should", "could")
DIRECTIONS = ("up", "down", "in", "out", "away", "there", "here", "outside")
ADVERBS = ("now", "again", "too", "please", "later", "today", "gently", "slowly", "all by yourself")
INTERJECTIONS = (
    "uh oh", "oh no", "wow", "yay", "oops", "hi", "bye bye", "okay", "good job", "all done",
    "thank you", "yes", "no",
)
# fmt: on
TAGS = ("okay", "right", "huh", "sweetie", "honey", "buddy")
CAREGIVERS = ("mommy", "daddy", "grandma", "grandpa")

MAX_WORDS = 14
"""The longest utterance in words, punctuation counted (each template alone has 2 to 13)."""
TWO_CLAUSE_SHARE = 1 / 3
"""A caregiver often says two things in one breath: this share of lines joins two utterances."""
RANK_SEED = 12345
"""Orders the words of each part of speech for their Zipfian ranks; fixed, so every run's corpus
has the same word frequencies and only the utterances differ with ``CorpusConfig.seed``."""
SELECTED_NOUNS = 12
"""Nouns each verb selects as its objects when ``CorpusConfig.selection`` > 0."""


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
    """How skewed word choice within a part of speech is: a word of rank r has weight 1/r**exponent."""
    selection: float = 0.0
    """Share of a verb's objects drawn from the nouns it selects (each verb has its own
    ``SELECTED_NOUNS``, fixed by ``RANK_SEED``), the rest by the nouns' Zipfian weights. 0: every
    noun is drawn whatever the verb, as in corpus version 2 (the same text). Above 0 the text's
    word choice depends on its context, which a model learns over more steps than unigram
    frequencies, so later teacher checkpoints write text that earlier ones do not."""

    def __post_init__(self) -> None:
        check_int("sentences", self.sentences, minimum=100)
        check_int("seed", self.seed, minimum=0)
        check_number("eval_share", self.eval_share, minimum=0, maximum=1)
        if not 0 < self.eval_share < 1:
            raise ValueError(f"eval_share={self.eval_share!r} is not valid; it must be > 0 and < 1")
        check_number("zipf_exponent", self.zipf_exponent, minimum=0)
        if self.zipf_exponent <= 0:
            raise ValueError(f"zipf_exponent={self.zipf_exponent!r} is not valid; it must be > 0")
        check_number("selection", self.selection, minimum=0, maximum=1)


def zipf_ranked(words: tuple[str, ...], early: tuple[str, ...], order: random.Random) -> list[str]:
    """``words`` in rank order: the ``early`` (CDI) ones first, then the rest, each group shuffled.

    Early words are among the most frequent words children hear (frequency is the best single
    predictor of when a word is learnt), and the top ranks keep every one of them in a small corpus.
    """
    distinct = list(dict.fromkeys(words))
    first = [w for w in distinct if w in early]
    rest = [w for w in distinct if w not in early]
    order.shuffle(first)
    order.shuffle(rest)
    return first + rest


class _Lexicon:
    """Word draws: Zipfian within each open class (``self.noun()``...), uniform in closed ones."""

    def __init__(self, rng: random.Random, exponent: float, selection: float = 0.0):
        self.rng = rng
        self.selection = selection
        order = random.Random(RANK_SEED)
        self._pools = {}
        for name, words in (("noun", NOUNS), ("verb", VERBS), ("adj", ADJECTIVES), ("name", NAMES)):
            ranked = zipf_ranked(words, CDI_WORDS, order)
            self._pools[name] = (ranked, [1 / rank**exponent for rank in range(1, len(ranked) + 1)])
        # Drawn after the ranks from the same fixed stream, so the ranks stay those of version 2.
        nouns = sorted(set(NOUNS))
        self.selects = {verb: order.sample(nouns, SELECTED_NOUNS) for verb in sorted(set(VERBS))}

    def draw(self, part_of_speech: str) -> str:
        words, weights = self._pools[part_of_speech]
        return self.rng.choices(words, weights)[0]

    def noun(self) -> str:
        return self.draw("noun")

    def verb(self) -> str:
        return self.draw("verb")

    def adj(self) -> str:
        return self.draw("adj")

    def name(self) -> str:
        return self.draw("name")

    def one(self, options) -> str:
        return self.rng.choice(tuple(options))

    def noun_phrase(self, verb: str | None = None) -> str:
        """A determiner, sometimes an adjective, a noun: ``the big doggy``; the object of ``verb``
        when given (one of the nouns it selects, at the rate ``selection``)."""
        adjective = f"{self.adj()} " if self.rng.random() < 0.3 else ""
        determiner = self.one(DETERMINERS)
        # No draw at selection 0, so that text stays version 2's, draw for draw.
        if verb is not None and self.selection and self.rng.random() < self.selection:
            return f"{determiner} {adjective}{self.one(self.selects[verb])}"
        return f"{determiner} {adjective}{self.noun()}"

    def verb_phrase(self) -> str:
        """A verb and its object: ``push the big truck``."""
        verb = self.verb()
        return f"{verb} {self.noun_phrase(verb)}"


def _templates(w: _Lexicon):
    """(weight, utterance maker) pairs; fragments and questions dominate speech to toddlers."""
    phrase = w.noun_phrase
    return (
        (8, lambda: f"do you want {phrase()} ?"),
        (7, lambda: f"look at {phrase()} !"),
        (6, lambda: f"can you {w.verb_phrase()} ?"),
        (4, lambda: f"lets {w.verb_phrase()} {w.one(ADVERBS)} ."),
        (6, lambda: f"{phrase()} is {w.adj()} ."),
        (4, lambda: f"{phrase()} is {w.one(PREPOSITIONS)} {phrase()} ."),
        (6, lambda: f"where is {phrase()} ?"),
        (3, lambda: f"what does {phrase()} say ?"),
        (3, lambda: f"what is {phrase()} doing ?"),
        (5, lambda: _progressive(w)),
        (4, lambda: f"{w.verb()} {w.one(OBJECT_PRONOUNS)} {w.one(ADVERBS)} ."),
        (5, lambda: f"more {w.noun()} ?"),
        (5, lambda: f"{w.one(INTERJECTIONS)} ."),
        (4, lambda: f"{w.one(INTERJECTIONS)} !"),
        (2, lambda: f"{w.one(INTERJECTIONS)} , {w.name()} !"),
        (2, lambda: f"{w.name()} , {w.verb_phrase()} please ."),
        (2, lambda: f"{w.name()} , come {w.one(DIRECTIONS)} !"),
        (2, lambda: f"{w.one(CAREGIVERS)} is {w.one(DIRECTIONS)} , {w.name()} ."),
        (4, lambda: f"is that {phrase()} ?"),
        (2, lambda: f"that is {phrase()} , {w.one(TAGS)} ?"),
        (2, lambda: f"yes , {w.name()} , {w.one(THING_PRONOUNS)} is {w.adj()} ."),
        (2, lambda: f"there is {phrase()} !"),
        (1, lambda: f"is that mine or {w.one(('yours', 'daddys', 'mommys'))} ?"),
        (3, lambda: f"{w.one(SUBJECTS)} {w.one(MODALS)} {w.verb()} {w.one(OBJECT_PRONOUNS)} ."),
        (3, lambda: f"put {phrase()} {w.one(PREPOSITIONS)} {phrase()} ."),
        (2, lambda: f"{w.name()} has {phrase()} ."),
        (2, lambda: f"the {w.noun()} goes {w.one(DIRECTIONS)} ."),
        (3, lambda: f"{w.adj()} {w.noun()} !"),
        (2, lambda: f"no , do not {w.verb_phrase()} ."),
        (1, lambda: f"shall we {w.verb_phrase()} and {w.verb_phrase()} ?"),
        (1, lambda: f"do you want to {w.verb_phrase()} because {w.one(THING_PRONOUNS)} is {w.adj()} ?"),
        (2, lambda: f"here is {phrase()} for {w.name()} ."),
        (2, lambda: f"bye bye {w.noun()} ."),
        (2, lambda: f"did you {w.verb_phrase()} ?"),
        (2, lambda: f"who wants {w.noun()} ?"),
        (2, lambda: f"{w.one(('up', 'down'))} you go !"),
        (2, lambda: f"{w.one(('good', 'nice', 'big'))} {w.one(('job', 'girl', 'boy', 'try'))} !"),
        (1, lambda: f"{w.one(CAREGIVERS)} will {w.verb_phrase()} {w.one(ADVERBS)} ."),
    )


def _progressive(w: _Lexicon) -> str:
    """``we are reading the book .``"""
    subject = w.one(SUBJECTS)
    verb = w.verb()
    return f"{subject} {SUBJECTS[subject]} {_ing(verb)} {w.noun_phrase(verb)} ."


def _ing(verb: str) -> str:
    """The present participle (run -> running, make -> making, play -> playing)."""
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        return verb[:-1] + "ing"
    if len(verb) <= 4 and re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _utterance(w: _Lexicon, makers, weights) -> str:
    text = w.rng.choices(makers, weights)[0]()
    if w.rng.random() < TWO_CLAUSE_SHARE:
        second = w.rng.choices(makers, weights)[0]()
        if len(words_of(text)) + len(words_of(second)) <= MAX_WORDS:
            text = f"{text} {second}"
    return text


def generate_corpus(config: CorpusConfig) -> list[str]:
    """``config.sentences`` utterances of 2 to 14 words, deterministic in ``config``."""
    lexicon = _Lexicon(random.Random(config.seed), config.zipf_exponent, config.selection)
    weights, makers = zip(*_templates(lexicon), strict=True)
    return [" ".join(words_of(_utterance(lexicon, makers, weights))) for _ in range(config.sentences)]


# The ``tokenizers`` library's ``Whitespace`` pre-tokenizer splits on this very pattern (its
# documented regex ``\w+|[^\w\s]+``): words are runs of word characters, punctuation runs of the
# rest. A test holds the two equal, so a word of the text is a word of the tokenizer.
_WORD = re.compile(r"\w+|[^\w\s]+")


def words_of(text: str) -> list[str]:
    """The words (tokens) of a line: word characters together, punctuation apart."""
    return _WORD.findall(text)


def load_text_corpus(path: str | Path) -> list[str]:
    """The utterances of a BabyLM-style corpus: a ``.txt`` file or a folder of them (recursive,
    sorted), one utterance per line; lowercased, punctuation split off, blank lines dropped.

    Undecodable bytes become U+FFFD rather than failing a long corpus on one bad line.
    """
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
    verbatim in training text. Train keeps every occurrence of its utterances (their corpus
    frequency), in corpus order; eval has each of its utterances once, in order of first occurrence."""
    distinct = list(dict.fromkeys(sentences))
    shuffled = distinct.copy()
    random.Random(seed).shuffle(shuffled)
    held_out = set(shuffled[: round(len(distinct) * eval_share)])
    train = [s for s in sentences if s not in held_out]
    return train, [s for s in distinct if s in held_out]


def prompt_of(sentence: str, n_words: int = 5) -> tuple[str, str]:
    """(prompt, rest): the first ``n_words`` words and the rest; a shorter utterance keeps its
    last word for the rest (a prompt has at least one word)."""
    words = sentence.split()
    cut = min(n_words, max(1, len(words) - 1))
    return " ".join(words[:cut]), " ".join(words[cut:])
