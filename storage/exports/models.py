"""The secret behind export pseudonyms, kept in the database so every export agrees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class ExportSecret(Base):
    """A random key, created on first use, that turns people's ids into pseudonyms.

    Kept in the database (not in settings) so the bot and the CLI produce the same pseudonym
    for the same person without anyone having to configure or rotate a secret.
    """

    __tablename__ = "export_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
