"""What polls look like as text: the fallback of the native poll, results, lists and CSV.

Everything here is pure rendering from stored polls and a tally into catalog messages,
so the same results text goes into the end event, the room and `!ergebnis`.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Message, join
from handlers.polls.tally import Tally
from storage.polls.models import Poll

BAR_CELLS = 10
Render = Callable[..., Message]
"""`render(key, **params)`: a catalog message in one language (e.g. a bound ctx.render)."""


def bar(share: float) -> str:
    """A ten-cell text bar: readable in every client, also without HTML."""
    filled = round(share * BAR_CELLS)
    return "█" * filled + "░" * (BAR_CELLS - filled)


def poll_fallback(
    render: Render, poll: Poll, command: str, bot_id: str, deadline: str | None
) -> Message:
    """The text clients without polls show, and the announcement of a secret poll."""
    header = "polls.post.secret_header" if poll.secret else "polls.post.header"
    parts = [render(header, number=poll.id, question=poll.question)]
    parts += [
        render("polls.post.answer", position=answer.position, answer=answer.text)
        for answer in poll.answers
    ]
    how = "polls.post.how_to_vote_secret" if poll.secret else "polls.post.how_to_vote"
    if poll.max_selections > 1:
        how += "_multi"
    parts.append(render(how, command=command, number=poll.id, max=poll.max_selections, bot=bot_id))
    if deadline is not None:
        parts.append(render("polls.post.deadline", deadline=deadline))
    if poll.hidden:
        parts.append(render("polls.post.hidden"))
    return join(parts)


def results_message(
    render: Render, poll: Poll, tally: Tally, deadline: str | None, closed: str | None
) -> Message:
    """The standing as a bar chart with counts, percentages and turnout."""
    header = "polls.results.header_closed" if closed else "polls.results.header_open"
    parts = [render(header, number=poll.id, question=poll.question)]
    for answer in poll.answers:
        share = tally.share(answer.answer_id)
        parts.append(
            render(
                "polls.results.line",
                bar=bar(share),
                percent=round(share * 100),
                votes=tally.votes[answer.answer_id],
                position=answer.position,
                answer=answer.text,
            )
        )
    parts.append(render("polls.results.participation", voters=tally.voters))
    if tally.spoiled:
        parts.append(render("polls.results.spoiled", spoiled=tally.spoiled))
    if poll.max_selections > 1:
        parts.append(render("polls.results.multi", max=poll.max_selections))
    if closed:
        parts.append(render("polls.results.closed", closed=closed))
    elif deadline:
        parts.append(render("polls.results.open_until", deadline=deadline))
    else:
        parts.append(render("polls.results.open"))
    return join(parts)
