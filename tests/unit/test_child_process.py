"""Children of `bot.child_process` run the bot's code at a lower priority than the bot."""

import os

import pytest

from bot.child_process import NICENESS, ChildProcessFailed, run_child


async def test_the_child_runs_below_the_bot_s_priority_and_gets_its_request():
    out = await run_child("tests.unit.niceness_child", b"request")
    niceness, echoed = out.decode().split(" ", 1)
    assert int(niceness) == min(os.nice(0) + NICENESS, 19)
    assert echoed == "request"


async def test_a_failing_child_raises_with_its_error_output():
    with pytest.raises(ChildProcessFailed, match="No module named"):
        await run_child("tests.unit.no_such_module", b"")
