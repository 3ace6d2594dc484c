"""Cross-validated routing on development data only: ``python -m bench.routing_cv``.

`bench.classify` measures the router as shipped, and on the development sets that flatters
it: ``routing-dev.jsonl`` and ``routing-dev2.jsonl`` are example questions of the shipped
departments file, and the keyword lists were grown alongside ``routing-dev3.jsonl``. This
benchmark measures, on development data alone, what the router does with questions it was
not taught, to tune the router and choose its confidence rule without the frozen test set
(which it never reads).

The development questions (all three sets and the maintainers' shared sample, if present) are
split into `FOLDS` folds with ``--seed``. Each fold is routed by a router trained on the
departments file without the fold's questions among its examples, in three variants:

* ``held out``: only that;
* ``-40% kw``: also 40 % of each department's keywords dropped (as ``bench.classify``);
* ``no keyword``: also every keyword of a department that shares a word with one of the
  fold's questions of that department dropped (`bench.keyword_overlap`, the check that marks
  the frozen set's no-keyword questions), so each question shares no keyword with its
  department: a stand-in for questions worded unlike any keyword list.

For each variant it prints top-1, top-3, the share asked and the precision when confident
under the shipped confidence rule (`Classification.confident`). ``--calibrate`` also searches
the rule's lead (`CONFIDENT_LEAD`): for each fold, the lowest lead that keeps precision at
least `TARGET_PRECISION` on the *other* folds' ``no keyword`` questions (the hardest variant,
so the rule holds for questions worded unlike the keyword lists) is applied to that fold, so
the figures it prints are cross-validated too. ``--no-translating`` measures the router
without its English-German word list (``handlers/text/data/english-german.txt``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.classify import (
    DEVELOPMENT,
    SHARED_SAMPLE,
    Question,
    departments_or_report,
    drop_keywords,
    read_labelled,
)
from bench.keyword_overlap import keyword_words, shared_keywords
from bot.classify_command import default_departments_file
from bot.config import Department
from handlers.questions import classifier as router_module
from handlers.questions.classifier import Classification, Classifier
from handlers.text.normalise import tokens

FOLDS = 5
TARGET_PRECISION = 0.98
LEADS = tuple(step / 10 for step in range(0, 101))
VARIANTS = ("held out", "-40% kw", "no keyword")


@dataclass(frozen=True)
class Routed:
    """One held-out question and what the router said about it."""

    question: Question
    fold: int
    variant: str
    answer: Classification

    @property
    def right(self) -> bool:
        return self.answer.department == self.question.department

    def confident_under(self, lead: float) -> bool:
        """Whether the rule with this `CONFIDENT_LEAD` would route it without asking."""
        return self.answer.evidence and self.answer.lead >= lead


def folds_of(questions: Sequence[Question], seed: int) -> list[list[Question]]:
    shuffled = list(questions)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[fold::FOLDS] for fold in range(FOLDS)]


def without_fold(
    departments: Sequence[Department], fold_questions: Sequence[Question], variant: str, seed: int
) -> tuple[Department, ...]:
    """The departments as trained for one fold and variant (see the module docstring)."""
    held = {tuple(tokens(question.text)) for question in fold_questions}
    trimmed = [
        dataclasses.replace(
            department,
            examples=tuple(e for e in department.examples if tuple(tokens(e)) not in held),
        )
        for department in departments
    ]
    if variant == "-40% kw":
        return drop_keywords(trimmed, 0.4, seed)
    if variant == "no keyword":
        result = []
        for department in trimmed:
            texts = [q.text for q in fold_questions if q.department == department.id]
            kept = tuple(
                keyword
                for keyword in department.keywords
                if not any(shared_keywords(text, keyword_words([keyword])) for text in texts)
            )
            result.append(dataclasses.replace(department, keywords=kept))
        return tuple(result)
    return tuple(trimmed)


def route_all(
    departments: Sequence[Department], questions: Sequence[Question], seed: int
) -> list[Routed]:
    routed = []
    for number, fold_questions in enumerate(folds_of(questions, seed)):
        for variant in VARIANTS:
            router = Classifier(without_fold(departments, fold_questions, variant, seed))
            routed.extend(
                Routed(question, number, variant, router.classify(question.text))
                for question in fold_questions
            )
    return routed


def rates(routed: Sequence[Routed], confident: Sequence[bool]) -> dict[str, float]:
    n = max(len(routed), 1)
    sure = [r for r, c in zip(routed, confident, strict=True) if c]
    return {
        "n": len(routed),
        "top1": sum(r.right for r in routed) / n,
        "top3": sum(r.question.department in r.answer.candidates[:3] for r in routed) / n,
        "asked": 1 - len(sure) / n,
        "precision": sum(r.right for r in sure) / max(len(sure), 1),
    }


def print_rows(title: str, routed: Sequence[Routed], confident: Sequence[bool]) -> None:
    print(f"\n{title}")
    print(f"  {'variant':<12} {'n':>4} {'top-1':>6} {'top-3':>6} {'asked':>6} {'precision':>9}")
    for variant in (*VARIANTS, "all"):
        chosen = [
            (r, c) for r, c in zip(routed, confident, strict=True) if variant in ("all", r.variant)
        ]
        figures = rates([r for r, _ in chosen], [c for _, c in chosen])
        print(
            f"  {variant:<12} {figures['n']:>4} {figures['top1']:>6.3f} {figures['top3']:>6.3f}"
            f" {figures['asked']:>6.3f} {figures['precision']:>9.3f}"
        )


def best_lead(routed: Sequence[Routed]) -> float:
    """The lowest lead with precision >= `TARGET_PRECISION` on the ``no keyword`` questions of
    `routed` (the highest one tried if none reaches it)."""
    routed = [r for r in routed if r.variant == "no keyword"]
    for lead in LEADS:
        if (
            rates(routed, [r.confident_under(lead) for r in routed])["precision"]
            >= TARGET_PRECISION
        ):
            return lead
    return LEADS[-1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing_cv",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--departments", type=Path, help="departments file")
    parser.add_argument("--seed", type=int, default=1, help="seed for folds and dropping")
    parser.add_argument(
        "--calibrate", action="store_true", help="also calibrate the lead of the confidence rule"
    )
    parser.add_argument(
        "--no-translating",
        action="store_true",
        help="measure the router without reading English words as German ones",
    )
    args = parser.parse_args(argv)
    router_module.TRANSLATING = not args.no_translating
    departments = departments_or_report(args.departments or default_departments_file(os.environ))
    if departments is None:
        return 2
    known = [department.id for department in departments]
    paths = [*DEVELOPMENT, *([SHARED_SAMPLE] if SHARED_SAMPLE.is_file() else [])]
    questions = [question for path in paths for question in read_labelled(path, known)]
    routed = route_all(departments, questions, args.seed)
    print(
        f"{len(questions)} development questions in {FOLDS} folds (seed {args.seed});"
        f" shipped rule: lead >= {router_module.CONFIDENT_LEAD} and evidence;"
        f" translating {'on' if router_module.TRANSLATING else 'off'}"
    )
    print_rows("shipped confidence rule", routed, [r.answer.confident for r in routed])
    if args.calibrate:
        leads = [best_lead([r for r in routed if r.fold != number]) for number in range(FOLDS)]
        print_rows(
            f"lead calibrated on the other folds (per fold: {', '.join(map(str, leads))})",
            routed,
            [r.confident_under(leads[r.fold]) for r in routed],
        )
        print(f"\nlead calibrated on all folds together: {best_lead(routed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
