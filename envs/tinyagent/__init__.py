"""The TinyAgent study (SqueezeAILab, arXiv 2409.00608): an LLMCompiler planner over a simulated macOS
desktop of 16 tools.

A planner writes a numbered plan of positional tool calls ending in ``join()<END_OF_PLAN>``
(``plans``: parse, format, execute by dependency waves); a joiner turn then answers ``Finish(...)``
or ``Replan`` (also ``plans``). Plans are scored against the gold plan as TinyAgent does, by DAG
isomorphism over tool names and dependencies (``metrics``). ``data`` reads TinyAgent's own
``training_data.json`` / ``testing_data.json``.
"""
