"""Neutral messages: catalog templates become spans, user text stays data on every platform."""

import html
import re

import pytest

from bot.adapters.matrix.events import notice_content
from bot.adapters.matrix.render import matrix_html
from bot.i18n import Catalog, placeholders
from bot.messages import Bold, Link, Mention, Message, Text, join, render
from bot.texts import excerpt

TRICKY = ("<script>alert(1)</script>", "**x**", "@everyone", "[a](http://x)", "@room", "&amp;")


def test_a_template_becomes_lines_of_spans_with_values_as_text():
    message = render("**Idee #{number}** von {author}\nDanke!", number=7, author="**Eve**")
    assert message.lines == (
        (Bold("Idee #7"), Text(" von **Eve**")),
        (Text("Danke!"),),
    )
    assert message.body == "Idee #7 von **Eve**\nDanke!"
    assert message.mentions == ()


def test_a_value_with_line_breaks_starts_new_lines():
    message = render("Frage:\n{text}\nEnde", text="erste\n\ndritte")
    assert message.lines == (
        (Text("Frage:"),),
        (Text("erste"),),
        (),
        (Text("dritte"),),
        (Text("Ende"),),
    )
    assert message.body == "Frage:\nerste\n\ndritte\nEnde"
    assert matrix_html(message) == "Frage:<br>erste<br><br>dritte<br>Ende"


@pytest.mark.parametrize("user_text", TRICKY)
def test_user_text_is_data_in_the_body_and_in_matrix_html(user_text):
    message = render("**Idee** {text} ({author})", text=user_text, author=user_text)
    assert message.body == f"Idee {user_text} ({user_text})"
    content = notice_content(message)
    assert content["body"] == message.body
    escaped = html.escape(user_text, quote=False)
    assert content["formatted_body"] == f"<strong>Idee</strong> {escaped} ({escaped})"
    assert content["m.mentions"] == {}  # a name that looks like a ping pings nobody
    assert "<a " not in content["formatted_body"] and "<script>" not in content["formatted_body"]


def test_a_mention_is_a_span_that_notifies_only_that_person():
    alice = Mention("@alice:example.org", "Alice <3")
    message = render("Danke, {who}! {text}", who=alice, text="@everyone")
    assert message.lines == ((Text("Danke, "), alice, Text("! @everyone")),)
    assert message.body == "Danke, Alice <3! @everyone"
    assert message.mentions == ("@alice:example.org",)
    content = notice_content(message)
    assert content["m.mentions"] == {"user_ids": ["@alice:example.org"]}
    assert content["formatted_body"] == (
        'Danke, <a href="https://matrix.to/#/@alice:example.org">Alice &lt;3</a>! @everyone'
    )


def test_people_to_notify_without_a_name_in_the_text():
    message = render("Deine Frage wurde beantwortet.").notifying(["@asker:x"])
    assert message.body == "Deine Frage wurde beantwortet."
    assert notice_content(message)["m.mentions"] == {"user_ids": ["@asker:x"]}


def test_links_are_links_only_for_safe_schemes():
    safe = Message(((Link("https://example.org/?a=1&b=2", "Workshop"),),))
    assert safe.body == "Workshop (https://example.org/?a=1&b=2)"
    assert matrix_html(safe) == '<a href="https://example.org/?a=1&amp;b=2">Workshop</a>'
    script = Message(((Link("javascript:alert(1)", "<b>klick</b>"),),))
    assert matrix_html(script) == "&lt;b&gt;klick&lt;/b&gt; (javascript:alert(1))"


def test_join_makes_lines_or_paragraphs():
    parts = [render("**Eins**"), render("Zwei\nDrei").notifying(["@p:x"])]
    lines = join(parts)
    assert lines.body == "Eins\nZwei\nDrei"
    assert matrix_html(lines) == "<strong>Eins</strong><br>Zwei<br>Drei"
    assert lines.mentions == ("@p:x",)
    paragraphs = join(parts, paragraphs=True)
    assert paragraphs.body == "Eins\n\nZwei\nDrei"
    assert matrix_html(paragraphs) == "<strong>Eins</strong><br><br>Zwei<br>Drei"


def test_json_round_trip_renders_the_same():
    message = join(
        [
            render("**{title}**\n{text}", title="<i>", text="[a](http://x)"),
            Message(((Link("https://x.example", "x"), Mention("@m:x", "M")),), ("@n:x",)),
        ]
    )
    again = Message.from_json(message.to_json())
    assert again == message
    assert notice_content(again) == notice_content(message)


def test_plain_messages_keep_their_lines():
    message = Message.plain("a\n\n<b>")
    assert message.lines == ((Text("a"),), (), (Text("<b>"),))
    assert message.body == "a\n\n<b>"


def _old_matrix_rendering(template: str, params: dict[str, str]) -> tuple[str, str]:
    """How `bot.context.render` filled a template before messages were neutral."""
    bold = re.compile(r"\*\*(.+?)\*\*")
    plain = bold.sub(r"\1", template).format(**params)
    safe = {key: html.escape(str(value)) for key, value in params.items()}
    html_template = bold.sub(r"<strong>\1</strong>", html.escape(template, quote=False))
    return plain, html_template.format(**safe).replace("\n", "<br>")


def test_every_catalog_message_reads_and_renders_as_before():
    catalog = Catalog.load()
    # Without quotes (once `&quot;`, now kept as typed) and line breaks (once `<br>` inside a
    # `<strong>`, now a bold part on each line): both read the same in every client.
    value = "<b>Wert</b> & **fett** @everyone [a](http://x)"
    for language in catalog.languages:
        for key in catalog.keys(language):
            template = catalog.raw(language, key)
            params = {name: value for name in placeholders(template)}
            message = render(template, **params)
            assert (message.body, matrix_html(message)) == _old_matrix_rendering(
                template, params
            ), (language, key)


def test_excerpts_are_one_line_cut_at_a_word():
    assert excerpt("Mehr  Bänke\nam Mainufer") == "Mehr Bänke am Mainufer"
    assert excerpt("eins zwei drei", limit=9) == "eins…"
    assert excerpt("x" * 12, limit=5) == "xxxxx…"
