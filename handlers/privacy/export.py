"""The data export of Art. 15 DSGVO: everything stored about one person, as a JSON file.

Used by `!meinedaten` (sent as a file in a direct chat) and by the CLI
(`smartregion-bot privacy export`), so both produce the same document. Other people appear
in it only where the person's own data needs them, and never by their Matrix id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import FileUpload
from storage.polls.models import Poll
from storage.privacy.personal_data import PersonalDataRepository, Someone
from storage.privacy.repository import PrivacyRepository
from storage.uow import UnitOfWork

FORMAT = "smartregion-bot personal data export, version 1"
CONTENT_TYPE = "application/json"

Explain = Callable[[str], str]
"""A catalog key -> its text in the reader's language (the notes the file carries)."""


async def personal_data(
    uow: UnitOfWork,
    person: Someone,
    *,
    now: datetime,
    tz: ZoneInfo,
    controller: dict[str, str],
    explain: Explain,
) -> dict[str, Any]:
    """The whole document; keys are English, notes are in the reader's language."""
    data = PersonalDataRepository(uow.session, person)
    privacy = PrivacyRepository(uow.session)

    def moment(when: datetime | None) -> str | None:
        return None if when is None else when.astimezone(tz).isoformat(timespec="seconds")

    profile = await data.profile()
    block = await data.block()
    return {
        "format": FORMAT,
        "generated_at": moment(now),
        "controller": controller,
        "person": {"platform": person.platform, "id": person.id},
        "notes": {
            key: explain(f"privacy.export.{key}")
            for key in ("about", "secret_ballots", "not_included", "rights")
        },
        "profile": {
            "known_since": moment(profile.created_at) if profile else None,
            "language": profile.language if profile else None,
            "privacy_notice_shown_at": moment(
                await privacy.introduced_at(person.platform, person.id)
            ),
            "erasure_requested_at": moment(
                await privacy.erasure_requested_at(person.platform, person.id)
            ),
            "display_names_stored": sorted(await data.names()),
        },
        "ideas": [
            {
                "number": idea.number,
                "text": idea.text,
                "category": idea.category,
                "status": idea.status,
                "published": idea.published,
                "hidden": idea.hidden,
                "merged_into": idea.merged_into,
                "supports": supports,
                "created_at": moment(idea.created_at),
            }
            for idea, supports in await data.ideas()
        ],
        "idea_supports": [
            {
                "idea": number,
                "by_reaction": support.by_reaction,
                "created_at": moment(support.created_at),
            }
            for support, number in await data.supports()
        ],
        "idea_reports": [
            {
                "idea": number,
                "reason": report.reason,
                "resolved": report.resolved,
                "created_at": moment(report.created_at),
            }
            for report, number in await data.reports()
        ],
        "poll_votes": [
            {
                "poll": ballot.poll.id,
                "question": ballot.poll.question,
                "answers": _answer_texts(ballot.poll, ballot.response.answer_ids),
                "withdrawn": ballot.response.redacted,
                "sent_at": moment(ballot.response.sent_at),
            }
            for ballot in await data.ballots()
        ],
        "secret_polls_voted_in": [
            {"poll": poll.id, "question": poll.question, "choice": None}
            for poll in await data.secret_polls_voted()
        ],
        "workshop_registrations": [
            {
                "workshop": workshop.id,
                "title": workshop.title,
                "starts_at": moment(workshop.starts_at),
                "status": registration.status,
                "by_reaction": registration.by_reaction,
                "created_at": moment(registration.created_at),
            }
            for registration, workshop in await data.registrations()
        ],
        "workshop_messages_to_you": [
            {
                "workshop": notice.workshop_id,
                "kind": notice.kind,
                "state": notice.state,
                "created_at": moment(notice.created_at),
                "sent_at": moment(notice.sent_at),
            }
            for notice in await data.workshop_notices()
        ],
        "questions": [
            {
                "number": thread.question.id,
                "text": thread.question.text,
                "public": thread.question.public,
                "status": thread.question.status,
                "department": thread.question.department_id,
                "asked_in_direct_chat": thread.question.origin_direct,
                "created_at": moment(thread.question.created_at),
                "routed_at": moment(thread.question.routed_at),
                "answered_at": moment(thread.question.answered_at),
                "closed_at": moment(thread.question.closed_at),
                "messages": [
                    {
                        "kind": message.kind,
                        "from": "you" if message.kind == "followup" else message.author_name,
                        "department": message.department_id,
                        "text": message.text,
                        "created_at": moment(message.created_at),
                    }
                    for message in thread.messages
                ],
                "learned_routing_examples": [
                    {
                        "text": example.text,
                        "department": example.department_id,
                        "created_at": moment(example.created_at),
                    }
                    for example in thread.examples
                ],
            }
            for thread in await data.questions()
        ],
        "block": None
        if block is None
        else {
            "until": moment(block.until),
            "reason": block.reason,
            "created_at": moment(block.created_at),
        },
        "as_staff_or_expert": {
            "answers_written": [
                {
                    "question": message.question_id,
                    "text": message.text,
                    "created_at": moment(message.created_at),
                }
                for message in await data.answers_written()
            ],
            "questions_forwarded": [
                {
                    "question": route.question_id,
                    "to": route.department_id,
                    "at": moment(route.routed_at),
                }
                for route in await data.forwards_made()
            ],
            "routing_examples_taught": len(await data.examples_taught()),
            "idea_status_changes": [
                {"idea": number, "status": change.status, "at": moment(change.changed_at)}
                for change, number in await data.status_changes_made()
            ],
            "polls_started": [poll.id for poll in await data.polls_created()],
            "workshops_created": [workshop.id for workshop in await data.workshops_created()],
            "blocks_imposed": await data.blocks_imposed(),
        },
    }


def _answer_texts(poll: Poll, answer_ids_json: str) -> list[str]:
    """The chosen answers as text (ids the poll does not have are kept as sent)."""
    texts = {answer.answer_id: answer.text for answer in poll.answers}
    return [texts.get(answer_id, answer_id) for answer_id in json.loads(answer_ids_json)]


def export_file(document: dict[str, Any], now: datetime) -> FileUpload:
    """The document as a readable UTF-8 JSON file with a dated name."""
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return FileUpload(
        filename=f"meine-daten-{now:%Y%m%d-%H%M}.json", content_type=CONTENT_TYPE, data=data
    )
