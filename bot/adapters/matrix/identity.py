"""How Matrix names people: `@localpart:server`, the one check of a Matrix user id.

Used by the adapter (`parse_user`), by settings validation (MATRIX_USER_ID,
BOT_STAFF_USERS) and by the privacy CLI, so all three accept the same ids. The localpart
is read leniently (historical ids may hold any printable character but `:`), the server
part as a host name with an optional port.
"""

from __future__ import annotations

import re

PLATFORM = "matrix"
USER_REFERENCE_EXAMPLE = "@name:server"
_USER_ID = re.compile(r"^@[^:\s]+:[A-Za-z0-9.\-]+(:\d+)?$")


def parse_user_id(text: str) -> str | None:
    """The Matrix user id typed in `text` (surrounding spaces ignored), else None."""
    candidate = text.strip()
    return candidate if _USER_ID.match(candidate) else None
