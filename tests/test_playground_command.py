"""`python -m bot playground` from the command line: the page on loopback, a temporary database removed on
stop, a clear message when the port is taken."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request

from tests.support.playground_process import playground_process


def test_the_playground_serves_its_page_and_removes_its_temporary_database_on_stop(tmp_path):
    with playground_process(tmp_path) as playground:
        assert playground.database.parent.name.startswith("livegifts-playground-")
        assert playground.database.exists()
        with urllib.request.urlopen(playground.address, timeout=10) as response:
            assert "no money moves" in response.read().decode()
        with urllib.request.urlopen(f"{playground.address}/play/api/people", timeout=10) as response:
            people = {p["name"]: p["label"] for p in json.load(response)["people"]}
        assert people["Mia"] == "moderator"
        assert people["Cara"] == people["Leo"] == "creator"
        assert {"Ana", "Ben", "Chen"} <= people.keys()
        assert playground.stop() == 0
    assert not playground.database.parent.exists()


def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database " * 100)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "playground", "--port", "0", "--database", str(notes)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "livegifts playground:" in result.stderr and "Traceback" not in result.stderr
    assert notes.read_text() == "not a database " * 100


def test_a_given_database_is_kept(tmp_path):
    database = tmp_path / "kept.db"
    with playground_process(tmp_path, "--database", str(database)) as playground:
        assert playground.database == database
        assert playground.stop() == 0
    assert database.exists()


def test_a_taken_port_is_refused_with_a_message_naming_the_option(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot", "playground", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
