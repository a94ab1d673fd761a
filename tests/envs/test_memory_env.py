"""PeopleMemory-v0 as a user plays it: data, questions, tool calls, scores, errors."""

from __future__ import annotations

import re
from collections import defaultdict

import gymnasium as gym
import pytest

import envs  # noqa: F401
from envs.memory.people import ATTRIBUTES, POOL_FILES, generate_population, load_pool

ENV_ID = "toolgym/PeopleMemory-v0"
QUESTION = re.compile(
    r"^(?:When was (.+) born|Where was (.+) born|What is (.+)'s occupation|Where does (.+) live)\?$"
)
ATTRIBUTE_OF_GROUP = ["birth_date", "birth_place", "occupation", "current_address"]


def scripted_turns(question: str, attribute_override: str | None = None) -> tuple[str, str]:
    """A hand-written agent: read the question, choose the attribute, ask the database."""
    match = QUESTION.match(question)
    group = next(i for i, g in enumerate(match.groups()) if g)
    name, attribute = match.group(group + 1), attribute_override or ATTRIBUTE_OF_GROUP[group]
    return name, f"Let me check.\n```sql\nFIND {attribute} FOR {name}\n```"


def play(env, question: str, attribute_override: str | None = None) -> float:
    name, call = scripted_turns(question, attribute_override)
    value, reward, terminated, _, info = env.step(call)
    assert info["role"] == "tool" and reward == 0.0 and not terminated
    _, reward, terminated, _, _ = env.step(f"The answer about {name} is {value}.")
    assert terminated
    return reward


def test_scripted_agent_scores_one_exactly_when_it_asks_right_and_copies():
    env = gym.make(ENV_ID, n_people=1000, mode="in_tool")
    for task_id in range(0, 400, 7):
        question, _ = env.reset(options={"task_id": task_id})
        assert play(env, question) == 1.0
        wrong = ATTRIBUTES[(task_id + 1) % 4]
        question, _ = env.reset(options={"task_id": task_id})
        assert play(env, question, attribute_override=wrong) == 0.0


def test_answers_must_end_with_the_whole_value():
    env = gym.make(ENV_ID, n_people=50, mode="in_weight")
    env.reset(options={"task_id": 0})  # a birth date
    gold = env.unwrapped.gold()
    name = env.unwrapped.person.name
    for answer, expected in [
        (f"{name} was born on {gold}.", 1.0),
        (f"{name} was born on {gold}.  \n", 1.0),
        (f"{name} was born on 1{gold}.", 0.0),  # a different date that ends like the gold one
        (f"{name} was born on {gold}", 0.0),  # no final period
        (f"{gold}. Or not.", 0.0),
        ("", 0.0),
    ]:
        env.reset(options={"task_id": 0})
        assert env.step(answer)[1] == expected, answer


def test_paper_turn_text_and_answer_sentences():
    env = gym.make(ENV_ID, n_people=10, mode="in_tool")
    question, _ = env.reset(options={"task_id": 2})
    name = env.unwrapped.person.name
    assert question == f"What is {name}'s occupation?"
    first, last = env.unwrapped.demonstration()
    assert first == (
        "To answer this question I will make a request to the database:\n"
        f"```sql\nFIND occupation FOR {name}\n```"
    )
    assert last == f"{name} works as an {env.unwrapped.gold()}."
    assert env.step(first)[0] == env.unwrapped.gold()
    assert env.step(last)[1] == 1.0


def test_sql_query_language_runs_real_selects():
    env = gym.make(ENV_ID, n_people=10, query_language="sql")
    env.reset(options={"task_id": 5})
    name = env.unwrapped.person.name
    observation = env.step(f"```sql\nSELECT birth_place FROM people WHERE name = '{name}'\n```")[0]
    assert observation == env.unwrapped.gold()
    assert env.step("```sql\nSELECT name FROM people WHERE name = 'Nobody Here'\n```")[0] == "No result found"
    assert env.step("```sql\nFIND birth_place FOR x\n```")[0].startswith("Error: could not parse")


def test_in_weight_mode_has_no_tool():
    env = gym.make(ENV_ID, n_people=10, mode="in_weight")
    env.reset(seed=0)
    observation, reward, terminated, _, info = env.step("```sql\nFIND birth_date FOR Anyone\n```")
    assert "Unknown tool 'database'" in observation and "none in this mode" in observation
    assert (reward, terminated, info["role"], info["name"]) == (0.0, False, "user", "env")


def test_find_errors_are_observations():
    env = gym.make(ENV_ID, n_people=10)
    env.reset(seed=0)
    assert env.step("```sql\nFIND salary FOR Bob\n```")[0].startswith("Error: unknown attribute 'salary'")
    assert env.step("```sql\nGIVE ME EVERYTHING\n```")[0] == "Error: expected `FIND <attribute> FOR <name>`"
    assert env.step("```sql\nFIND birth_date FOR Nobody Here\n```")[0] == "No result found"
    observation, _, terminated, truncated, _ = env.step("```sql\nFIND birth_date FOR x")
    assert "not closed" in observation
    assert truncated and not terminated  # the fourth turn hits max_episode_steps


def test_pools_ranges_and_ood_disjointness():
    assert (len(load_pool("first_names")), len(load_pool("last_names"))) == (437, 388)
    assert [len(load_pool(POOL_FILES[a])) for a in ("birth_place", "current_address", "occupation")] == [
        7,
        213,
        100,
    ]
    assert not {n.lower() for n in load_pool("first_names")} & {
        n.lower() for n in load_pool("first_names_ood")
    }
    population = generate_population(0, 1.0)
    assert len(population.train) == 437 * 388 and len({p.name for p in population.train}) == 437 * 388
    train_firsts = {p.name.split()[0] for p in population.train}
    assert not train_firsts & {p.name.split()[0] for p in population.ood}
    for person in population.train[:2000]:
        day, month, year = map(int, person.birth_date.split("/"))
        assert 1 <= day <= 28 and 1 <= month <= 12 and 1950 <= year <= 2000
    # no value is a word-suffix of another, so "ends with <value>." identifies the value
    for attribute in ("birth_place", "current_address", "occupation"):
        values = load_pool(POOL_FILES[attribute])
        assert not [(a, b) for a in values for b in values if a != b and a.endswith(" " + b)]


def test_alpha_ties_attributes_to_the_family():
    dependent = generate_population(0, 0.0).train[:5000]
    by_family = defaultdict(set)
    for person in dependent:
        by_family[person.name.split()[1]].add((person.birth_place, person.current_address, person.occupation))
    assert all(len(values) == 1 for values in by_family.values())
    independent = generate_population(0, 1.0).train[:5000]
    by_family = defaultdict(set)
    for person in independent:
        by_family[person.name.split()[1]].add(person.occupation)
    assert sum(len(v) > 1 for v in by_family.values()) > 0.9 * len(by_family)


# itl's rule (dependent_data/generate.py): the cut pool holds the first max(2, int(ALPHA * |pool|))
# values in alphabetical order, and both the uniform and the family values come from it. Worked
# out by hand for the project's pools (7 countries, 213 cities, 100 occupations).
ITL_POOL_SIZES = {0.0: (2, 2, 2), 0.5: (3, 106, 50), 1.0: (7, 213, 100)}
DEPENDENT = ("birth_place", "current_address", "occupation")


@pytest.mark.parametrize("alpha", sorted(ITL_POOL_SIZES))
def test_itl_design_draws_every_value_from_the_cut_pool(alpha):
    population = generate_population(0, alpha, "itl")
    assert len(population.train) == 128 * 64
    for attribute, size in zip(DEPENDENT, ITL_POOL_SIZES[alpha], strict=True):
        first_values = sorted(load_pool(POOL_FILES[attribute]))[:size]
        assert {getattr(p, attribute) for p in population.train} == set(first_values), attribute
        # unseen people stay independent, as itl's OOD data
        assert len({getattr(p, attribute) for p in population.ood}) == len(load_pool(POOL_FILES[attribute]))


def test_itl_design_has_64_families_of_about_16_among_the_first_1000():
    first = generate_population(0, 0.0).train[:1000]  # alpha < 1: itl by default
    families = defaultdict(set)
    for person in first:
        families[person.name.split()[1]].add(tuple(getattr(person, a) for a in DEPENDENT))
    assert len(families) == 64
    assert all(len(values) == 1 for values in families.values())  # alpha 0: set by the family
    assert len({p.name.split()[0] for p in generate_population(0, 0.0).train}) == 128


def test_the_wide_design_stays_the_default_of_independent_data_and_an_option_for_dependent():
    assert generate_population(0, 1.0) == generate_population(0, 1.0, "wide")
    wide = generate_population(0, 0.0, "wide")
    assert len(wide.train) == len(load_pool("first_names")) * len(load_pool("last_names"))
    with pytest.raises(ValueError, match="design='narrow' is not valid; choose one of 'itl', 'wide'"):
        gym.make(ENV_ID, alpha=0.5, design="narrow")


def test_dependent_people_are_answered_by_their_own_database():
    env = gym.make(ENV_ID, n_people=1000, alpha=0.0, mode="in_tool").unwrapped
    assert env.design == "itl"
    for task_id in (0, 1, 4 * 999 + 3):
        env.reset(options={"task_id": task_id})
        for turn in env.demonstration():
            _, reward, *_ = env.step(turn)
        assert reward == 1.0


def test_ood_split_asks_about_unseen_people():
    train = gym.make(ENV_ID, n_people=1000, split="train").unwrapped
    ood = gym.make(ENV_ID, n_people=1000, split="ood").unwrapped
    assert not {p.name for p in train.people} & {p.name for p in ood.people}
    ood.reset(options={"task_id": 0})
    assert ood.step(ood.demonstration()[0])[0] == ood.gold()  # OOD people are in the database too


def test_large_populations_work():
    env = gym.make(ENV_ID, n_people=32_768)
    env.reset(options={"task_id": 4 * 32_767 + 3})
    for turn in env.unwrapped.demonstration():
        _, reward, *_ = env.step(turn)
    assert reward == 1.0


def test_same_seed_same_episode():
    a = gym.make(ENV_ID, n_people=100)
    b = gym.make(ENV_ID, n_people=100)
    assert [a.reset(seed=s)[0] for s in range(5)] == [b.reset(seed=s)[0] for s in range(5)]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"mode": "in_brain"}, "mode='in_brain'"),
        ({"split": "test"}, "split='test'"),
        ({"query_language": "sparql"}, "query_language='sparql'"),
        ({"n_people": 0}, "n_people=0"),
        ({"n_people": 10**7}, "n_people=10000000"),
        ({"alpha": 1.5}, "alpha=1.5"),
    ],
)
def test_bad_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=re.escape(key)):
        gym.make(ENV_ID, **kwargs)


def test_bad_task_id_is_a_clear_error():
    env = gym.make(ENV_ID, n_people=10)
    with pytest.raises(ValueError, match=r"task_id.*0\.\.39"):
        env.reset(options={"task_id": 40})


def test_generate_writes_the_data_set(tmp_path):
    from envs.memory import generate

    generate.main(["--n-people", "20", "--out", str(tmp_path)])
    names = {p.name for p in generate_population(0, 1.0).train[:20]}
    lines = (tmp_path / "people.jsonl").read_text().splitlines()
    assert len(lines) == 20 and all(any(n in line for n in names) for line in lines)
    for mode, turns in (("in_tool", 4), ("in_weight", 2)):
        qa = (tmp_path / f"qa_{mode}.jsonl").read_text().splitlines()
        assert len(qa) == 80 and all(line.count('"role"') == turns for line in qa)
    assert (tmp_path / "people.sqlite").stat().st_size > 1_000_000
    assert len((tmp_path / "biographies.jsonl").read_text().splitlines()) == 20


@pytest.mark.parametrize("folder", ["with%20space", "odd?#chars"])
def test_cache_paths_with_url_characters_work(tmp_path, monkeypatch, folder):
    monkeypatch.setenv("TOOLGYM_CACHE", str(tmp_path / folder))
    env = gym.make(ENV_ID, n_people=10)
    env.reset(options={"task_id": 0})
    value, *_ = env.step(env.unwrapped.demonstration()[0])
    assert value == env.unwrapped.gold()
    assert (tmp_path / folder / "memory").is_dir()
