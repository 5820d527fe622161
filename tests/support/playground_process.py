"""`python -m bot playground` as a user starts it, in a child process: its address, and a clean stop."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ADDRESS = re.compile(r"open (http://127\.0\.0\.1:\d+) .*database (\S+);")


@dataclass
class PlaygroundProcess:
    process: subprocess.Popen[str]
    address: str
    database: Path
    output: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit status."""
        self.process.terminate()
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the playground did not stop on SIGTERM") from None


@contextmanager
def playground_process(workdir: Path, *arguments: str) -> Iterator[PlaygroundProcess]:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    env.pop("DISCORD_API_BASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "playground", "--port", "0", *arguments],
        cwd=workdir,  # no .env here: the defaults
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    found = None
    deadline = time.monotonic() + 60
    while found is None and time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 1)[0]:
            line = process.stdout.readline()
            seen.append(line)
            found = ADDRESS.search(line)
    try:
        assert found is not None, "the playground did not print its address:\n" + "".join(seen)
        yield PlaygroundProcess(process, found.group(1), Path(found.group(2)), seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
