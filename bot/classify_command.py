"""`smartregion-bot classify`: route questions from stdin, one JSON object per line to stdout.

It runs the router the bot runs (`bot.app.question_classifier`), so an operator can
check how a departments file routes before deploying it, and anyone can measure the router with a
file of questions and nothing else. Examples learnt from experts live in the bot's database
and are not read here: the output is what a freshly started bot would do.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.app import question_classifier
from bot.config import example_departments_file, load_departments

if TYPE_CHECKING:  # the type only; the composition root builds the router
    from handlers.questions.classifier import Classifier


def default_departments_file(environ: Mapping[str, str]) -> Path | Traversable:
    """`BOT_DEPARTMENTS_FILE` if set, else the example file shipped with the bot."""
    configured = environ.get("BOT_DEPARTMENTS_FILE", "").strip()
    return Path(configured) if configured else example_departments_file()


def load_classifier(path: Path | Traversable, problems: list[str]) -> Classifier | None:
    """The router trained on the departments file at `path`; None if `problems` got entries."""
    departments = load_departments(path, problems)
    if problems:
        return None
    try:
        return question_classifier(departments)
    except ValueError as error:
        problems.append(f"The departments file {path}: {error}")
        return None


def run_classify(
    departments_file: Path | None,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    environ: Mapping[str, str] = os.environ,
) -> int:
    """Classify every non-empty line of `stdin`; exit status 2 if the departments are unusable.

    Each answer is flushed at once, so the command also works interactively and as a
    co-process that is fed one question at a time.
    """
    path = departments_file or default_departments_file(environ)
    problems: list[str] = []
    classifier = load_classifier(path, problems)
    if classifier is None:
        print("The departments file has problems:", file=stderr)
        for problem in problems:
            print(f"  - {problem}", file=stderr)
        return 2
    for line in stdin:
        text = line.strip()
        if not text:
            continue
        result = classifier.classify(text)
        answer = {
            "department": result.department,
            "confidence": round(result.confidence, 4),
            "candidates": list(result.candidates),
        }
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
