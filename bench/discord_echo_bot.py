"""The Discord latency floor: a bare discord.py bot that answers every message at once.

`python -m bench.discord_echo_bot --api-url URL --gateway-url URL --token TOKEN`

It connects like the real bot (discord.py's gateway client, pointed at the given Discord)
and replies to each message of a person with a short text in reply to it, sent as the real
bot sends (a reference that does not fail, no pings, a nonce): no commands, no storage.
What the real bot adds on top of this round trip is its own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

import discord
import yarl


def intents() -> discord.Intents:
    """Guild messages with their content: all an echo needs (no members, no reactions)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    return wanted


class EchoClient(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        await message.channel.send(
            f"echo: {message.content[:40]}",
            reference=message.to_reference(fail_if_not_exists=False),
            nonce=f"echo-{message.id}",
        )


async def main_async(args: argparse.Namespace) -> None:
    discord.http.Route.BASE = args.api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway_url)
    client = EchoClient()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(client.close()))
    with contextlib.suppress(asyncio.CancelledError):
        await client.start(args.token, reconnect=True)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--api-url", required=True)
    arguments.add_argument("--gateway-url", required=True)
    arguments.add_argument("--token", required=True)
    asyncio.run(main_async(arguments.parse_args()))


if __name__ == "__main__":
    main()
