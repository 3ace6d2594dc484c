"""The catalogs: every language has every message, with the same placeholders."""

import pytest

from bot.adapters.matrix.render import matrix_html
from bot.i18n import Catalog, placeholders
from bot.messages import render


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_german_and_english_are_both_there(catalog):
    assert set(catalog.languages) == {"de", "en"}


def test_every_language_has_every_key(catalog):
    german, english = catalog.keys("de"), catalog.keys("en")
    assert german - english == set(), "missing in English"
    assert english - german == set(), "missing in German"


def test_placeholders_match_across_languages(catalog):
    for key in catalog.keys("de"):
        assert placeholders(catalog.raw("de", key)) == placeholders(catalog.raw("en", key)), key


def test_every_command_has_summary_usage_and_help(catalog):
    from bot.app import HANDLER_MODULES
    from bot.router import CommandRegistry

    for spec in CommandRegistry.from_modules(HANDLER_MODULES).specs:
        for part in ("summary", "usage", "help"):
            assert catalog.has(f"commands.{spec.name}.{part}"), (spec.name, part)


def test_render_escapes_user_text_and_keeps_emphasis():
    message = render("**Idee** {text}\nDanke", text="<script>alert(1)</script> [x](http://a)")
    assert message.body == "Idee <script>alert(1)</script> [x](http://a)\nDanke"
    assert matrix_html(message) == (
        "<strong>Idee</strong> &lt;script&gt;alert(1)&lt;/script&gt; [x](http://a)<br>Danke"
    )


def test_every_command_argument_has_a_menu_name_and_description(catalog):
    """A platform's command menu (Discord's slash commands) names every argument from the
    catalogs; a new argument without its texts would only fail when that menu is built."""
    from bot.app import HANDLER_MODULES
    from bot.command_menu import command_menu
    from bot.router import CommandRegistry

    menu = command_menu(CommandRegistry.from_modules(HANDLER_MODULES), catalog, "!", "@name")
    assert menu.commands
