"""Every table of the bot in one metadata, for Alembic and the schema-versus-models test.

Each feature keeps its tables in its own module (`storage/<capability>/models.py`, all on
`storage.models.Base`); importing them here is what makes them part of the schema. This
is also the one place that knows every column holding a room id.
"""

from storage import models
from storage.exports.models import ExportSecret  # noqa: F401  (registers the table)
from storage.ideas.models import Idea
from storage.insight.models import Digest  # noqa: F401  (registers the tables)
from storage.moderation.models import Block  # noqa: F401  (registers the table)
from storage.polls.models import Poll  # noqa: F401  (registers the table)
from storage.privacy.models import RetentionRun  # noqa: F401  (registers the tables)
from storage.questions.models import Question
from storage.repositories import RoomColumns
from storage.web.models import PageVersion  # noqa: F401  (registers the tables)
from storage.workshops.models import WorkshopNotice

metadata = models.Base.metadata

# Room references that follow a room upgrade (RoomRepository.record_replacement): where the
# bot still has to deliver something. Columns that locate an event (an idea card, a poll, a
# question's thread, a workshop announcement) stay, because the event stays in the old room;
# they are Idea.card_room_id, Poll.room_id, QuestionRoute.room_id, WorkshopAnnouncement.room_id.
# Each comes with the column holding its room's platform: a replacement moves only the
# references to that platform's room.
ROOM_REFERENCE_COLUMNS: tuple[RoomColumns, ...] = (
    (Idea.platform, Idea.room_id),
    (Question.platform, Question.origin_room_id),
    (WorkshopNotice.platform, WorkshopNotice.room_id),
)
