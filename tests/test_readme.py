"""The README stays true: its Python snippets run, and CI runs its install and test commands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_snippets_run():
    snippets = re.findall(r"```python\n(.*?)```", README, re.DOTALL)
    assert snippets
    for snippet in snippets:
        exec(compile(snippet, "README.md", "exec"), {})


def test_ci_runs_the_readme_commands():
    commands = re.findall(r"```bash\n(pip install[^\n]*)\n```", README)
    main_command, test_command = commands[:2]
    assert "scenarios.run" in main_command and "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
    assert "venv" in ci
