"""The departments model is trained in a child process and used by router and categories.

Training in a worker thread held the interpreter lock while the first commands after a
start ran (`bench.scale`); the child's model must classify exactly like one trained here.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import secrets
from pathlib import Path

import numpy as np
import pytest

from bot.child_process import ChildProcessFailed
from handlers.ideas.state import ideas_categories
from handlers.questions import classifier, model_worker
from handlers.questions.classifier import departments_texts, has_model
from handlers.questions.routing import question_router
from tests.unit.fakes import make_fake_bot

QUESTIONS = [
    "Wann fährt der Nachtbus zum Bahnhof?",
    "Wo kann ich Sperrmüll anmelden?",
    "Wer hilft mir beim Antrag für das Glasfaser-Internet?",
]


def departments_file(directory: Path) -> Path:
    """Departments with a word no other test uses: this process has no model for them."""
    unique = "Wort" + secrets.token_hex(4)
    path = directory / "departments.toml"
    path.write_text(
        f"""
[[department]]
id = "mobilitaet"
name = "Mobilität"
room = "!mob:localhost"
keywords = ["Bus", "Nachtbus", "Bahnhof", "Radweg", "{unique}"]
examples = ["Wann fährt der Bus?"]

[[department]]
id = "umwelt"
name = "Umwelt"
room = "!umwelt:localhost"
keywords = ["Müll", "Sperrmüll", "Wertstoffhof", "Bäume"]
examples = ["Wohin mit dem Sperrmüll?"]

[[department]]
id = "digitales"
name = "Digitales"
room = "!dig:localhost"
keywords = ["Internet", "Glasfaser", "WLAN", "Antrag online"]
examples = ["Wann kommt Glasfaser in mein Dorf?"]
""",
        encoding="utf-8",
    )
    return path


async def test_router_and_categories_share_one_model_from_a_child(tmp_path, caplog):
    path = departments_file(tmp_path)
    bot = await make_fake_bot(tmp_path, (), BOT_DEPARTMENTS_FILE=str(path))
    departments = bot.services.settings.departments
    assert not has_model(departments_texts(departments))
    router, categories = await asyncio.gather(
        question_router(bot.services), ideas_categories(bot.services)
    )
    texts = departments_texts(departments)
    assert has_model(texts)
    adopted, here = classifier._ADOPTED[texts], classifier._trained.__wrapped__(texts)
    for block in ("word_block", "gram_block"):
        assert getattr(adopted, block).index == getattr(here, block).index
        np.testing.assert_allclose(getattr(adopted, block).weights, getattr(here, block).weights)
    assert [router.classify(q).department for q in QUESTIONS] == [
        "mobilitaet",
        "umwelt",
        "digitales",
    ]
    assert [categories.propose(q) for q in QUESTIONS] == ["mobilitaet", "umwelt", "digitales"]
    assert "failed" not in caplog.text


async def test_if_the_child_fails_the_router_is_trained_here(tmp_path, caplog, monkeypatch):
    async def failing(_module: str, _request: bytes) -> bytes:
        raise ChildProcessFailed("handlers.questions.model_worker exited with 1: no numpy")

    monkeypatch.setattr(model_worker, "run_child", failing)
    caplog.set_level(logging.ERROR)
    bot = await make_fake_bot(tmp_path, (), BOT_DEPARTMENTS_FILE=str(departments_file(tmp_path)))
    router = await question_router(bot.services)
    assert router.classify(QUESTIONS[1]).department == "umwelt"
    assert not has_model(departments_texts(bot.services.settings.departments))
    assert "Training the departments model in a child process failed" in caplog.text


def test_only_a_trained_model_is_adopted():
    texts = (("Bus",), ("Müll",))
    with pytest.raises(ValueError, match="not a trained model"):
        classifier.adopt_model(texts, pickle.dumps({"weights": [1, 2]}))
    assert not has_model(texts)
