"""``toolgym/TeacherDemo-v0``: continue a corpus sentence from its first words; the reward is an age.

The interactive step of TnD ("Babysit a language model from scratch", Ma et al. 2024): the
student is shown the first words of a child-directed utterance and writes a continuation (a
*trial*); a reward model that predicts the training step ("age") at which a language model
writes such text scores it, minus the log of the student's own step. The teacher's continuation
of the same prompt (a *demonstration*) is the env's oracle answer, scored the same way.

The reward model and the teacher are callables handed in by whoever builds the env (the TnD
learner passes its sequence-classification model and its cached teacher continuations), so this
module knows nothing of torch and ``check_env`` runs with the defaults below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from envs.checks import check_int
from envs.core import TextEnv, ToolCall
from envs.teacher_demo.corpus import CorpusConfig, generate_corpus, prompt_of, split_corpus, words_of

# The stand-in corpus of gym.make() with no sentences: small, so that making an env is quick.
DEFAULT_SENTENCES = 2000


def default_prompts() -> list[str]:
    """The training utterances of a small generated corpus (the env's prompts without ``sentences``)."""
    config = CorpusConfig(sentences=DEFAULT_SENTENCES)
    train, _ = split_corpus(generate_corpus(config), config.eval_share, config.seed)
    return train


class TeacherDemoEnv(TextEnv):
    """Continue an utterance from its first ``prompt_words`` words; reward = predicted log-age - log step.

    ## Description
    One task per utterance of ``sentences``: the prompt is its first ``prompt_words`` words (all
    but the last word of a shorter one). The action is the continuation; the episode ends there.

    ## Action Space
    ``UnicodeText`` (up to 4096 characters): the continuation, words separated by spaces. Any
    string is an answer (an empty one too: the prompt alone is scored). Bytes, non-strings and
    oversized turns are answered with a message; after a second such turn the episode is
    truncated with reward 0 (``max_episode_steps=2``).

    ## Observation Space
    ``UnicodeText``: the prompt after ``reset``; empty after the answer.

    ## Rewards
    ``reward_model(prompt + " " + continuation) - log(student_step)``: TnD's age-conditioned
    reward ``R(S) - log n``, positive when the text reads as written by a model older than the
    student. Scores: ``predicted_log_age`` (the reward model's output) and ``words`` (the
    continuation's word count).

    ## Starting State
    ``reset(options={"task_id": i, "student_step": n})``; without ``task_id`` a task is drawn from
    ``self.np_random``; ``student_step`` defaults to 1 (log 1 = 0).

    ## Arguments
    - ``sentences`` (list of str): the utterances prompts are cut from (default: the training
      split of a small generated corpus).
    - ``prompt_words`` (int, default 5): the paper's first 5 tokens (words here: the study's
      tokenizer has one token per word).
    - ``reward_model`` (callable ``text -> float``, default none): the predicted natural log of
      the step. Without one every text is scored 0 (a stand-in for ``check_env`` and tests).
    - ``teacher`` (callable ``prompt -> str``, default none): the teacher's continuation, the
      oracle's demonstration (called once per task, then cached). Without one the corpus's own
      continuation is the demonstration (the ground-truth demonstrations of the paper's App. B.5).

    ## Version History
    - v0: initial version.
    """

    score_names = ("predicted_log_age", "words")

    def __init__(
        self,
        sentences: Sequence[str] | None = None,
        prompt_words: int = 5,
        reward_model: Callable[[str], float] | None = None,
        teacher: Callable[[str], str] | None = None,
        render_mode: str | None = None,
    ):
        check_int("prompt_words", prompt_words, minimum=1)
        # Kept as given, not copied or filtered: the TnD learner builds an env per trial, every
        # RL step, over thousands of utterances.
        self.sentences = default_prompts() if sentences is None else sentences
        if not isinstance(self.sentences, list | tuple) or not self.sentences:
            raise ValueError("sentences must be a non-empty list of utterances")
        self.prompt_words = prompt_words
        self.reward_model, self.teacher = reward_model, teacher
        self.num_tasks = len(self.sentences)
        self.student_step = 1
        self.prompt, self.rest = "", ""
        self._demonstrations: dict[int, str] = {}
        super().__init__({}, render_mode=render_mode)

    def _new_task(self, options: dict[str, Any]) -> tuple[int, str]:
        task_id = self.choose_task_id(options)
        step = options.get("student_step", 1)
        check_int("options['student_step']", step, minimum=1)
        self.student_step = int(step)
        self.prompt, self.rest = prompt_of(self.sentences[task_id], self.prompt_words)
        return task_id, self.prompt

    def parse_tool_calls(self, text: str) -> list[ToolCall]:
        return []  # no tools: every turn is the continuation

    def predicted_log_age(self, continuation: str) -> float:
        if self.reward_model is None:
            return 0.0
        text = f"{self.prompt} {continuation.strip()}".strip()
        value = float(self.reward_model(text))
        return value if math.isfinite(value) else 0.0

    def score(self, answer: str) -> float:
        return self.predicted_log_age(answer) - math.log(self.student_step)

    def scores(self, answer: str) -> dict[str, float]:
        return {"predicted_log_age": self.predicted_log_age(answer), "words": float(len(words_of(answer)))}

    def gold(self) -> str:
        return self.rest

    def demonstration(self) -> list[str]:
        if self.task_id not in self._demonstrations:
            text = self.rest if self.teacher is None else str(self.teacher(self.prompt))
            self._demonstrations[self.task_id] = text
        return [self._demonstrations[self.task_id]]

    def random_answer(self) -> str:
        rng = np.random.default_rng(self.task_id)
        words = words_of(self.sentences[int(rng.integers(self.num_tasks))])
        return " ".join(rng.permutation(words)[: int(rng.integers(1, len(words) + 1))])

    def record_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments a trajectory records: the utterances counted, the callables named (a
        record cannot rebuild them; the run folder's config says what they were)."""
        recorded = dict(kwargs)
        if "sentences" in recorded:
            recorded["sentences"] = f"{len(self.sentences)} utterances"
        for key in ("reward_model", "teacher"):
            if recorded.get(key) is not None:
                recorded[key] = getattr(recorded[key], "__qualname__", type(recorded[key]).__name__)
        return recorded

    def task_info(self) -> dict[str, Any]:
        return {"student_step": self.student_step}
