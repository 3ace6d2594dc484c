"""The page version: raised in the same transaction as every write the page could show.

The public page runs in its own process and keeps what it rendered under this number
(bot.web.cache). For that never to show a stale copy (an erased or hidden idea must be gone
at the next request), every transaction that changes anything but pure chat bookkeeping
raises `page_version.version` just before it commits, atomically with its changes:

- rows the session flushed (inserted, changed, deleted objects), by their table;
- statements run through the session (`update(...)`, `delete(...)`, `insert(...)`), by
  their table; any other non-SELECT statement (text) counts as a write of anything.

Only the tables in `BOOKKEEPING` do not count: the chat's own records that no page reads
and that no database cascade leads from into a table a page reads, written on almost every
message (without this list, every sync would empty the page's cache). A new table counts
until it is added there. On PostgreSQL the row is locked from the update to the commit, so
writing transactions commit one after another; the update is the last statement, so that
is only as long as the commit takes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from storage.web.models import PAGE_VERSION_ROW, PageVersion

BOOKKEEPING = frozenset(
    {
        "processed_events",
        "sync_states",
        "bot_credentials",
        "pending_replies",
        "reaction_log",
        "channel_cursors",
        "sent_log",
        "retention_runs",
        "privacy_introductions",
        "privacy_erasure_requests",
        "export_secrets",
        "insight_digest_deliveries",
    }
)
"""Tables no page reads and whose rows no cascade leads from into one a page reads."""

_WROTE = "page_version.wrote"


class VersionedSession(Session):
    """A session that raises the page version when it commits a write the page could show."""


def _counts(table_name: str | None) -> bool:
    return table_name is None or table_name not in BOOKKEEPING


def _table_of(instance: object) -> str | None:
    table = getattr(type(instance), "__table__", None)
    return getattr(table, "name", None)


@event.listens_for(VersionedSession, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    del flush_context  # the session's collections still hold what was flushed
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(_counts(_table_of(instance)) for instance in changed):
        session.info[_WROTE] = True


@event.listens_for(VersionedSession, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table: Any = getattr(state.statement, "table", None)
    if _counts(getattr(table, "name", None)):
        state.session.info[_WROTE] = True


@event.listens_for(VersionedSession, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # so that what is still pending is seen by `_after_flush`
    if session.info.pop(_WROTE, False):
        session.execute(
            update(PageVersion)
            .where(PageVersion.id == PAGE_VERSION_ROW)
            .values(version=PageVersion.version + 1)
        )
        # The raise itself went through `_do_orm_execute`; it is no write of the next
        # transaction on this session.
        session.info.pop(_WROTE, None)


@event.listens_for(VersionedSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)
