"""Running CPU-heavy start-up work in a child process of the same interpreter and code.

Pure-Python work in a worker thread holds the interpreter lock, and every database round
trip of a command waits for it: after a start, building the similar-idea index (2.2 s)
and training the question router (about 0.7 s) made the first `!ideen top` take 1.5 s
instead of 20 ms (`bench.scale`). A child runs on another core and shares no lock; it
gets its request on standard input (a database URL with a password never shows in `ps`)
and answers on standard output. Nothing is written to disk.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

NICENESS = 10
"""The child's scheduling priority below the bot's: on a busy (two-core) machine the bot's
start-up and commands come first, the background work after (`bench.scale`: start-up
5.9 s with the children at the bot's priority on a machine with load 8)."""
_NICE_THEN_RUN = (
    "import os, runpy, sys\n"
    f"os.nice({NICENESS})\n"
    "runpy.run_module(sys.argv[1], run_name='__main__', alter_sys=True)\n"
)
"""Lower the priority first, so that importing the module runs at the lower one too."""


class ChildProcessFailed(RuntimeError):
    """The child exited with an error (its error output ends the message)."""


async def run_child(module: str, request: bytes) -> bytes:
    """The standard output of `python -m module` (at a lower priority) given `request` on
    standard input.

    If the caller is cancelled (the bot stops), the child is killed.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _NICE_THEN_RUN,
        module,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_child_environment(),
    )
    try:
        out, err = await process.communicate(request)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise ChildProcessFailed(f"{module} exited with {process.returncode}: {tail}")
    return out


def _child_environment() -> dict[str, str]:
    """The bot's environment, with the directory this code came from first on the path:
    the child must run the same code as the bot, also from a checkout that is not
    installed."""
    source = str(Path(__file__).resolve().parents[1])
    paths = [source, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
