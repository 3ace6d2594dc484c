"""Waiting for the bot to finish what discord.py has handed it so far, without sleeping."""

from __future__ import annotations

import asyncio

EVENT_TASK_PREFIX = "discord.py: on_"
"""discord.py runs every event listener as a task named after it (`discord.py: on_message`)."""


async def events_handled() -> None:
    """Return once every event listener discord.py has started by now has finished.

    What a person sees can come before the bot is done: a card is visible as soon as
    Discord stores it, but the bot remembers the card's id only after Discord answered.
    A test that reacts to the card waits here first, as a person takes longer to react.
    """
    running = [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith(EVENT_TASK_PREFIX) and task is not asyncio.current_task()
    ]
    await asyncio.gather(*running, return_exceptions=True)
