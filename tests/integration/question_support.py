"""Departments files for question tests: the project's departments with test rooms."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import example_departments_file

EXAMPLE = example_departments_file()
_DEPARTMENT_ID = re.compile(r'^id = "([a-z_]+)"$', re.MULTILINE)
_ROOM = re.compile(r'^room = ".*"$', re.MULTILINE)


def write_departments(
    directory: Path, rooms: dict[str, str], other_room: str, key: str = "room"
) -> Path:
    """The shipped departments file (keywords and all) with each room replaced by a test room.

    Departments missing from `rooms` share `other_room`. `key` names the room's setting:
    `room` (Matrix) or `discord_channel` (a channel id).
    """
    text = EXAMPLE.read_text(encoding="utf-8")
    ids = iter(_DEPARTMENT_ID.findall(text))
    written = _ROOM.sub(lambda _: f'{key} = "{rooms.get(next(ids), other_room)}"', text)
    path = directory / "departments.toml"
    path.write_text(written, encoding="utf-8")
    return path
