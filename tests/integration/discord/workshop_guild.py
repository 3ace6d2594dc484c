"""A guild for workshop conversations: staff, two members, an announcement channel, the bot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.discord_emulator import DiscordEmulator, StoredMessage, User

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
"""The fake clock's time: the dates the tests type stay in the future."""


class WorkshopGuild:
    """Sabine (staff) talks to the bot by DM; Alice and Bob are members of the guild."""

    def __init__(self, emulator: DiscordEmulator, name: str, token: str) -> None:
        self.emulator = emulator
        self.bot = emulator.add_bot("smartregion-bot", token=token)
        self.staff = emulator.add_user("Sabine")
        self.alice = emulator.add_user("Alice")
        self.bob = emulator.add_user("Bob")
        self.guild = emulator.add_guild(name, owner=self.staff)
        for user in (self.bot, self.alice, self.bob):
            emulator.add_member(self.guild, user)
        self.announcements = emulator.add_channel(self.guild, "ankuendigungen").id

    @property
    def env(self) -> dict[str, str]:
        return {
            "DISCORD_GUILD_IDS": self.guild.id,
            "DISCORD_STAFF_USERS": self.staff.id,
            "DISCORD_ANNOUNCE_CHANNELS": self.announcements,
        }

    async def staff_says(self, text: str) -> StoredMessage:
        """Staff write to the bot in their DM; returns the bot's reply."""
        team = self.emulator.dm(self.staff, self.bot)
        return await self.emulator.reply_to(team, await self.emulator.say(self.staff, team, text))

    async def direct_message(
        self, user: User, text: str, after: StoredMessage | None = None
    ) -> StoredMessage:
        """The bot's first DM to `user` containing `text` (after the message `after`)."""
        return await self.emulator.wait_for(
            self.emulator.dm(user, self.bot),
            lambda m: (
                m.author_id == self.bot.id
                and text in m.content
                and (after is None or int(m.id) > int(after.id))
            ),
        )
