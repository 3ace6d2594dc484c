"""How Discord names people: snowflake ids, typed as mentions (`<@id>`) or bare.

People type `@Name` and their client sends the mention `<@id>` (`<@!id>` from older
clients for nicknames); staff may also paste a bare id ("Copy User ID" in the client).
"""

from __future__ import annotations

import re

PLATFORM = "discord"
USER_REFERENCE_EXAMPLE = "@Name"
"""What help texts show: what people type; their client turns it into `<@id>`."""
_USER = re.compile(r"^(?:<@!?(\d{17,20})>|(\d{17,20}))$")


def is_snowflake(text: str) -> bool:
    """Whether `text` is a Discord id: the decimal form of an unsigned 64-bit number."""
    return text.isascii() and text.isdigit() and not text.startswith("0") and int(text) < 2**64


def parse_user_id(text: str) -> str | None:
    """The user snowflake of a mention or bare id in `text` (spaces around ignored)."""
    found = _USER.match(text.strip())
    if found is None:
        return None
    return found.group(1) or found.group(2)
