"""toolgym's environments; importing this package registers every id with Gymnasium.

Each study lives in its own subpackage (environment + task generator). All ids are registered
here, with ``max_episode_steps`` so that Gymnasium's ``TimeLimit`` owns truncation::

    import gymnasium as gym
    import envs

    env = gym.make("toolgym/PeopleMemory-v0", n_people=1000, mode="in_tool")
"""

from gymnasium.envs.registration import register, registry

ENV_IDS = ("toolgym/PeopleMemory-v0", "toolgym/Calculator-v0")

if "toolgym/PeopleMemory-v0" not in registry:
    register(
        id="toolgym/PeopleMemory-v0",
        entry_point="envs.memory.env:PeopleMemoryEnv",
        max_episode_steps=4,
    )

if "toolgym/Calculator-v0" not in registry:
    # No max_episode_steps: the env's own max_turns (TRL's TextEnvironment option) truncates.
    register(id="toolgym/Calculator-v0", entry_point="envs.calculator.env:CalculatorEnv")
