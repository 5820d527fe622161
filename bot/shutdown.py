"""Orderly shutdown: the interactions still being answered, and the refusal of new ones meanwhile.

Every slash command and button press registers the task that answers it here (the command tree's and
the confirm view's interaction checks do). On SIGTERM or SIGINT the composition root stops admitting
new interactions, waits for the registered ones to finish (their replies, receipts and shout-outs
depend on a working Discord connection and database), and only then closes the bot and the database.
"""

from __future__ import annotations

import asyncio
from typing import Any

RESTARTING = "The bot is restarting. Nothing was done; please try again in a minute."


class InFlight:
    """The tasks answering interactions right now."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.accepting = True

    def admit(self) -> bool:
        """Register the current task as answering an interaction; False once shutdown began."""
        if not self.accepting:
            return False
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    def stop_accepting(self) -> None:
        self.accepting = False

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for the registered tasks; how many were still running."""
        running = {task for task in self._tasks if task is not asyncio.current_task()}
        if not running:
            return 0
        _, still_running = await asyncio.wait(running, timeout=timeout)
        return len(still_running)
