"""The function-calling study (TokMem's compositional memory recall): a synthetic API catalogue with
mock implementations (``apis``), xLAM-format rows and TokMem's data recipe (``data``, ``generate``),
and the FunctionCalling env that asks a model to call those APIs (``env``, ``formats``, ``metrics``).
"""
