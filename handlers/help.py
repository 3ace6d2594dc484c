"""`!hilfe` and `!sprache`: what a person may do here, and in which language the bot answers."""

from __future__ import annotations

from bot.arguments import Choice, Word
from bot.context import Context
from bot.errors import UsageError
from bot.messages import join
from bot.router import command, rate_limited

LANGUAGES = {
    "deutsch": "de",
    "de": "de",
    "german": "de",
    "englisch": "en",
    "en": "en",
    "english": "en",
}


@command("hilfe", "help", Word("command", optional=True))
async def show_help(ctx: Context, command: str | None) -> None:
    """List the commands the asker may use, or explain one in detail."""
    prefix = ctx.services.settings.command_prefix
    registry = ctx.services.commands
    if command is not None:
        spec = registry.find(command.removeprefix(prefix))
        if spec is None:
            raise UsageError("help.unknown", command=command)
        name = spec.name_in(ctx.language)
        # Usage lines naming a person show how this platform writes one.
        example = ctx.services.adapter_for(ctx.actor.platform).user_reference_example
        usage = ctx.t(f"commands.{spec.name}.usage", example=example)
        await ctx.reply(
            "help.detail",
            command=f"{prefix}{name} {usage}".rstrip(),
            other=f"{prefix}{spec.name_in('en' if ctx.language == 'de' else 'de')}",
            help=ctx.t(f"commands.{spec.name}.help"),
        )
        return
    header = ctx.render("help.header", role=ctx.t(f"roles.{ctx.role.name.lower()}"))
    lines = [
        ctx.render(
            "help.line",
            command=f"{prefix}{spec.name_in(ctx.language)}",
            summary=ctx.t(f"commands.{spec.name}.summary"),
        )
        for spec in registry.specs
        if spec.role <= ctx.role
    ]
    footer = ctx.render("help.footer", help=f"{prefix}{ctx.t('help.command_name')}")
    parts = [header, *lines, footer]
    await ctx.reply_message(join(parts))


@rate_limited(per_hour=10)
@command("sprache", "language", Choice("language", choices=LANGUAGES))
async def set_language(ctx: Context, language: str) -> None:
    """Remember the person's language so every later answer uses it."""
    async with ctx.services.unit_of_work() as uow:
        await uow.people.set_language(ctx.actor.platform, ctx.actor.id, language)
        await uow.commit()
    ctx.language = language
    await ctx.reply("language.changed")
