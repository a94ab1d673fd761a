"""toolgym's environments; importing this package registers every id with Gymnasium.

Each study lives in its own subpackage (environment + task generator). All ids are registered
here from one list, with ``max_episode_steps`` so that Gymnasium's ``TimeLimit`` owns truncation::

    import gymnasium as gym
    import envs

    env = gym.make("toolgym/PeopleMemory-v0", n_people=1000, mode="in_tool")
"""

from gymnasium.envs.registration import register, registry

SPECS = (
    {
        "id": "toolgym/PeopleMemory-v0",
        "entry_point": "envs.memory.env:PeopleMemoryEnv",
        "max_episode_steps": 4,
    },
    # 4: TRL's TextEnvironment max_turns in the calculator example.
    {
        "id": "toolgym/Calculator-v0",
        "entry_point": "envs.calculator.env:CalculatorEnv",
        "max_episode_steps": 4,
    },
    # 4: TokMem caps an answer at 4 calls; a multi-turn episode needs a call turn and a final one.
    {
        "id": "toolgym/FunctionCalling-v0",
        "entry_point": "envs.function_calling.env:FunctionCallingEnv",
        "max_episode_steps": 4,
    },
    # A plan and its joiner turn, and each replan another two (max_replans is at most 2 here).
    {
        "id": "toolgym/TinyAgentPlanner-v0",
        "entry_point": "envs.tinyagent.env:TinyAgentPlannerEnv",
        "max_episode_steps": 6,
    },
    # One continuation per episode; a turn the env cannot score (bytes, oversized) gets one retry.
    {
        "id": "toolgym/TeacherDemo-v0",
        "entry_point": "envs.teacher_demo.env:TeacherDemoEnv",
        "max_episode_steps": 2,
    },
)
ENV_IDS = tuple(spec["id"] for spec in SPECS)

for _spec in SPECS:
    if _spec["id"] not in registry:
        register(**_spec)
