"""The counting rules of MSC3381 polls, as Element (ruma) applies them."""

from datetime import UTC, datetime, timedelta

from handlers.polls.tally import Ballot, count_votes

ANSWERS = ("a1", "a2", "a3")
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def ballot(voter: str, *answers: str, minute: int = 0, arrival: int = 0, **kw) -> Ballot:
    return Ballot(voter, answers, START + timedelta(minutes=minute), arrival, **kw)


def test_one_vote_each():
    tally = count_votes(ANSWERS, 1, [ballot("@a", "a1"), ballot("@b", "a2"), ballot("@c", "a1")])
    assert tally.votes == {"a1": 2, "a2": 1, "a3": 0}
    assert tally.voters == 3 and tally.spoiled == 0
    assert tally.share("a1") == 2 / 3


def test_only_the_latest_response_counts_whatever_order_they_arrive_in():
    late_first = [ballot("@a", "a2", minute=5), ballot("@a", "a1", minute=1)]
    assert count_votes(ANSWERS, 1, late_first).votes == {"a1": 0, "a2": 1, "a3": 0}


def test_same_millisecond_keeps_the_one_that_arrived_first():
    tied = [ballot("@a", "a2", arrival=2), ballot("@a", "a1", arrival=1)]
    assert count_votes(ANSWERS, 1, tied).votes["a1"] == 1


def test_an_unknown_answer_spoils_the_vote_and_the_earlier_one_does_not_come_back():
    ballots = [ballot("@a", "a1", minute=1), ballot("@a", "a1", "nope", minute=2)]
    tally = count_votes(ANSWERS, 2, ballots)
    assert tally.votes == {"a1": 0, "a2": 0, "a3": 0}
    assert tally.voters == 0 and tally.spoiled == 1


def test_an_unknown_answer_beyond_max_selections_still_spoils():
    tally = count_votes(ANSWERS, 1, [ballot("@a", "a1", "\x00invalid")])
    assert tally.spoiled == 1 and tally.voters == 0


def test_selections_are_truncated_to_max_selections_in_the_order_sent():
    tally = count_votes(ANSWERS, 2, [ballot("@a", "a3", "a1", "a2")])
    assert tally.votes == {"a1": 1, "a2": 0, "a3": 1}
    assert tally.counted == {"@a": ("a3", "a1")}


def test_duplicates_count_once_and_are_truncated_before_deduplication():
    assert count_votes(ANSWERS, 3, [ballot("@a", "a1", "a1", "a2")]).votes == {
        "a1": 1,
        "a2": 1,
        "a3": 0,
    }
    # ruma cuts first: ["a1", "a1"] is left of three selections with max 2.
    assert count_votes(ANSWERS, 2, [ballot("@a", "a1", "a1", "a2")]).votes["a2"] == 0


def test_an_empty_selection_takes_the_vote_back():
    tally = count_votes(ANSWERS, 1, [ballot("@a", "a1", minute=1), ballot("@a", minute=2)])
    assert tally.votes["a1"] == 0 and tally.voters == 0 and tally.spoiled == 0


def test_a_redacted_response_falls_back_to_the_previous_one():
    ballots = [
        ballot("@a", "a1", minute=1),
        ballot("@a", "a2", minute=2, redacted=True),
    ]
    assert count_votes(ANSWERS, 1, ballots).votes == {"a1": 1, "a2": 0, "a3": 0}


def test_responses_after_the_end_are_ignored_and_one_at_the_end_counts():
    end = START + timedelta(minutes=10)
    ballots = [
        ballot("@a", "a1", minute=5),
        ballot("@a", "a2", minute=11),  # a change after the end does not count
        ballot("@b", "a3", minute=10),  # exactly at the end: counts
        ballot("@c", "a3", minute=12),
    ]
    tally = count_votes(ANSWERS, 1, ballots, ended_at=end)
    assert tally.votes == {"a1": 1, "a2": 0, "a3": 1}
    assert tally.voters == 2


def test_nobody_voted():
    tally = count_votes(ANSWERS, 1, [])
    assert tally.voters == 0 and tally.share("a1") == 0.0
