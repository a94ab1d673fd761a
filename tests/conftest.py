"""Shared fixtures: an offline, isolated cache; a throwaway PostgreSQL server."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
# One data cache per test session, so the people database is built once and never touches ~/.cache.
os.environ["TOOLGYM_CACHE"] = tempfile.mkdtemp(prefix="toolgym-test-cache-")


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server started for this session in a temporary folder; yields its SQLAlchemy URL.

    Skipped when no server binaries are installed, unless TOOLGYM_REQUIRE_POSTGRES=1 (set by CI).
    """
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        if os.environ.get("TOOLGYM_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    folder = Path(tempfile.mkdtemp(prefix="toolgym-pg-"))
    data = folder / "data"
    # PostgreSQL refuses to run as root: run it as the 'postgres' user the Debian package creates.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if prefix:
        shutil.chown(folder, "postgres")
    port = _free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "toolgym", "--auth=trust"], check=True, capture_output=True
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://toolgym@127.0.0.1:{port}/postgres"
    finally:
        stop = [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(stop, capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def stop_at():
    """A callback factory: ``stop_at(n)`` ends training after step ``n``, as a killed run would."""
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):
        def __init__(self, step: int):
            self.step = step

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == self.step:
                control.should_training_stop = True
            return control

    return StopAt


@pytest.fixture
def tinyagent_data(tmp_path):
    """A folder with TinyAgent's training_data.json and testing_data.json, in their structure
    (``src/utils/data_utils.py``): one query each, with its plan and join points."""
    import json

    query = "Text Søren that I am late."
    plan = '1. get_phone_number("Søren")\n2. send_sms(["$1"], "I am late")\n3. join()<END_OF_PLAN>'
    prompt = [
        {"role": "system", "content": "Tools: get_phone_number, send_sms ..."},
        {"role": "user", "content": query},
    ]
    steps = [
        {"tool_name": "get_phone_number", "tool_args": ["Søren"]},
        {"tool_name": "send_sms", "tool_args": [["$1"], "I am late"]},
        {"tool_name": "join", "tool_args": []},
    ]
    join = {"thought": "The message is sent.", "action": "Finish", "message": "Task completed!"}
    points = [
        {
            "type": "plan",
            "raw_input": prompt,
            "raw_output": plan,
            "parsed_output": steps,
            "id": "p",
            "index": 0,
        },
        {
            "type": "join",
            "raw_input": prompt,
            "raw_output": "Thought: The message is sent.\nAction: Finish(Task completed!)",
            "parsed_output": join,
            "id": "j",
            "index": 1,
        },
    ]
    folder = tmp_path / "tinyagent-data"
    folder.mkdir()
    for name in ("training_data.json", "testing_data.json"):
        data = {"q1": {"input": query, "output": points, "closest_5_queries": []}}
        (folder / name).write_text(json.dumps(data, ensure_ascii=False))
    return folder
