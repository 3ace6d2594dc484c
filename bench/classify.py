"""Accuracy, confidence, learning and speed of the question router: ``python -m bench.classify``.

The test set is ``bench/data/routing-frozen.jsonl``: 321 questions written for issue 15
before any change to the router or its keywords, and never tuned against. Its SHA-256 is
recorded below (`FROZEN_SHA256`) and checked on every run, so a changed file cannot pass for
it. Its rows say the language (``lang``), the kind of writing (``tags``: short, long, typo,
franconian, colloquial) and whether the question shares no keyword with its department's
keyword list (``no_keyword``, checked by `bench.keyword_overlap`); each of these is a subset
in the report.

The other sets are development data: ``routing-dev.jsonl`` and ``routing-dev2.jsonl`` (their
questions are also example questions of the shipped departments file, so their figures show
how well the router fits what it was taught), ``routing-dev3.jsonl`` (once called held out,
but the keyword lists were grown alongside it), ``routing-dev4.jsonl`` (180 questions, half
in English, written to calibrate the confidence rule without opening the frozen set) and the
maintainers' 45 shared examples next to the repository, if present. Development data may be
looked at and tuned against; the frozen set may not.

For every set and subset it prints top-1 and top-3 accuracy, the share of questions the
router is unsure about and asks the citizen to choose (``asked``), the share of the others
that went to the right department (``precision``, precision when confident) and the mean
confidence. It does so for the router as shipped and for routers whose departments lost a
random share of their keywords (``--drop-keywords 0.4 --seed 1``: 40 % of each department's
keywords, chosen with seed 1), a stand-in for questions in words nobody listed.

The learning curve replays development questions, shuffled with ``--seed``, through a router
without any learned example: every question it gets wrong is forwarded by "staff" to the
right department, as `!weiterleiten` does, and the router learns from it (for the new
department and against the old one). Accuracy is reported per block of 50 questions (before
each question's own forward) for the shipped router on ``routing-dev3.jsonl`` and for a
"cold start" router (no example questions, 40 % of the keywords dropped) on all three
development sets. The frozen set is never used for learning.

Speed: "cold" is a freshly built router classifying every distinct question once; "warm" the
same router going on through `TIMED_CLASSIFICATIONS` questions. Everything also goes to
``bench/results/classify.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from bot.app import question_classifier
from bot.classify_command import default_departments_file
from bot.config import Department, example_departments_file, load_departments
from handlers.questions import classifier as router_module
from handlers.questions.classifier import CONFIDENT_LEAD, Classification, Classifier

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "bench" / "data"
FROZEN = DATA_DIR / "routing-frozen.jsonl"
FROZEN_SHA256 = "d12cca71debc552ca47d6f8a7787c3b800662a848e2e916b75a70a9c1ec1b262"
"""The frozen test set as committed in 06b5784, before any router change (issue 15)."""
DEVELOPMENT = (
    DATA_DIR / "routing-dev.jsonl",
    DATA_DIR / "routing-dev2.jsonl",
    DATA_DIR / "routing-dev3.jsonl",
    DATA_DIR / "routing-dev4.jsonl",
)
STREAM = (DATA_DIR / "routing-dev3.jsonl",)
"""The learning stream: development data that is not among the departments file's examples."""
SHARED_SAMPLE = PROJECT_ROOT.parent / "shared" / "data" / "routing-sample.jsonl"
DEFAULT_DATA = (FROZEN, *DEVELOPMENT, SHARED_SAMPLE)
RESULTS = PROJECT_ROOT / "bench" / "results" / "classify.json"
TIMED_CLASSIFICATIONS = 5000
BLOCK = 50


@dataclass(frozen=True)
class Question:
    """One labelled question and what the file says about it."""

    text: str
    department: str
    lang: str | None = None
    tags: tuple[str, ...] = ()
    no_keyword: bool = False

    def groups(self) -> list[str]:
        """The subsets of its file this question belongs to (besides "all")."""
        found = [f"lang={self.lang}"] if self.lang else []
        found.extend(f"tag={tag}" for tag in self.tags)
        if self.no_keyword:
            found.append("no_keyword")
        return found


@dataclass
class Score:
    """Top-1 and top-3 hits, and how the confident ones fared, of one group of questions."""

    questions: int = 0
    top1: int = 0
    top3: int = 0
    confident: int = 0
    confident_right: int = 0
    confidence_sum: float = 0.0

    def add(self, top1: bool, top3: bool, answer: Classification) -> None:
        self.questions += 1
        self.top1 += top1
        self.top3 += top3
        self.confidence_sum += answer.confidence
        if answer.confident:
            self.confident += 1
            self.confident_right += top1

    def rates(self) -> dict[str, float]:
        n = max(self.questions, 1)
        return {
            "top1": self.top1 / n,
            "top3": self.top3 / n,
            "asked": 1 - self.confident / n,
            "precision": self.confident_right / max(self.confident, 1),
            "mean_confidence": self.confidence_sum / n,
        }


@dataclass
class FileResult:
    """Everything measured on one data file with one router."""

    path: str
    router: str
    groups: dict[str, Score] = field(default_factory=dict)
    departments: dict[str, Score] = field(default_factory=dict)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)


def read_labelled(path: Path, known: Sequence[str]) -> list[Question]:
    """The questions of a JSON-lines file; unknown labels are an error."""
    questions = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["department"] not in known:
                raise ValueError(f"{path}:{number}: unknown department {row['department']!r}")
            questions.append(
                Question(
                    row["text"],
                    row["department"],
                    row.get("lang"),
                    tuple(row.get("tags", ())),
                    bool(row.get("no_keyword", False)),
                )
            )
    return questions


def check_frozen(path: Path) -> str | None:
    """Why `path` is not the frozen set it claims to be, or None if it is (or is another file)."""
    if path.resolve() != FROZEN.resolve():
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != FROZEN_SHA256:
        return f"{path} changed: SHA-256 {digest}, expected {FROZEN_SHA256}"
    return None


def departments_or_report(path: Path | Traversable) -> tuple[Department, ...] | None:
    """The departments of the file at `path`; None, with its problems on stderr, if it has any."""
    problems: list[str] = []
    departments = load_departments(path, problems)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return None
    return departments


def drop_keywords(
    departments: Sequence[Department], share: float, seed: int
) -> tuple[Department, ...]:
    """The departments with `share` of each one's keywords removed, chosen with `seed`."""
    rng = random.Random(seed)
    result = []
    for department in departments:
        keywords = list(department.keywords)
        dropped = set(rng.sample(range(len(keywords)), round(share * len(keywords))))
        kept = tuple(word for i, word in enumerate(keywords) if i not in dropped)
        result.append(dataclasses.replace(department, keywords=kept))
    return tuple(result)


def evaluate(
    classifier: Classifier, path: Path, router: str, questions: Sequence[Question]
) -> FileResult:
    result = FileResult(str(path), router)
    result.departments = {dep_id: Score() for dep_id in classifier.departments}
    for question in questions:
        answer = classifier.classify(question.text)
        top1 = answer.department == question.department
        top3 = question.department in answer.candidates[:3]
        for group in ("all", *question.groups()):
            result.groups.setdefault(group, Score()).add(top1, top3, answer)
        result.departments[question.department].add(top1, top3, answer)
        if not top1:
            result.confusions[(question.department, answer.department)] += 1
    return result


def learning_curve(build: Callable[[], Classifier], stream: Sequence[Question]) -> list[float]:
    """Top-1 accuracy per block of `BLOCK` questions while staff forward every wrong route."""
    classifier = build()
    hits: list[bool] = []
    for question in stream:
        answer = classifier.classify(question.text)
        right = answer.department == question.department
        hits.append(right)
        if not right:
            classifier.forward(question.text, question.department, answer.department)
    return [
        sum(hits[start : start + BLOCK]) / len(hits[start : start + BLOCK])
        for start in range(0, len(hits), BLOCK)
    ]


def read_stream(paths: Sequence[Path], known: Sequence[str], seed: int) -> list[Question]:
    """The questions of `paths`, shuffled with `seed`."""
    stream = [question for path in paths for question in read_labelled(path, known)]
    random.Random(seed).shuffle(stream)
    return stream


def measure_speed(fresh: Classifier, texts: Sequence[str]) -> dict[str, float]:
    """Classifications per second of a `fresh` router: cold over the distinct `texts`, then warm."""
    distinct = list(dict.fromkeys(texts))
    started = time.perf_counter()
    for text in distinct:
        fresh.classify(text)
    cold = time.perf_counter() - started
    batch = [texts[i % len(texts)] for i in range(TIMED_CLASSIFICATIONS)]
    started = time.perf_counter()
    for text in batch:
        fresh.classify(text)
    warm = time.perf_counter() - started
    return {
        "cold_classifications": len(distinct),
        "cold_seconds": round(cold, 4),
        "cold_per_second": round(len(distinct) / cold, 1),
        "classifications": len(batch),
        "seconds": round(warm, 4),
        "per_second": round(len(batch) / warm, 1),
    }


def short(path: str) -> str:
    """`path` relative to the project root (``../shared/...`` for the shared data)."""
    resolved = Path(path).resolve()
    for base, prefix in ((PROJECT_ROOT, ""), (PROJECT_ROOT.parent, "../")):
        if resolved.is_relative_to(base):
            return prefix + str(resolved.relative_to(base))
    return path


def print_table(results: Sequence[FileResult]) -> None:
    print(
        f"{'data':<34} {'subset':<16} {'router':<12} {'n':>4} {'top-1':>6} {'top-3':>6}"
        f" {'asked':>6} {'precision':>9} {'mean conf':>9}"
    )
    for result in results:
        name = Path(result.path).name
        for group, score in result.groups.items():
            rates = score.rates()
            print(
                f"{name:<34} {group:<16} {result.router:<12} {score.questions:>4}"
                f" {rates['top1']:>6.3f} {rates['top3']:>6.3f} {rates['asked']:>6.3f}"
                f" {rates['precision']:>9.3f} {rates['mean_confidence']:>9.3f}"
            )
    print(
        "(asked: share offered the numbered choice, i.e. not `Classification.confident`: lead"
        f" below CONFIDENT_LEAD = {CONFIDENT_LEAD} or no evidence; precision: top-1 among the"
        " others, sent without asking)"
    )


def print_details(result: FileResult) -> None:
    print(f"\n{short(result.path)} ({result.router}), per department:")
    print(f"  {'department':<12} {'n':>4} {'top-1':>6} {'top-3':>6}")
    for dep_id, score in result.departments.items():
        rates = score.rates()
        print(f"  {dep_id:<12} {score.questions:>4} {rates['top1']:>6.3f} {rates['top3']:>6.3f}")
    if result.confusions:
        pairs = ", ".join(
            f"{expected}->{got} {count}"
            for (expected, got), count in result.confusions.most_common()
        )
        print(f"  confusions (expected->got): {pairs}")


def to_json(result: FileResult) -> dict[str, object]:
    return {
        "path": short(result.path),
        "router": result.router,
        "groups": {
            group: {"questions": score.questions, **score.rates()}
            for group, score in result.groups.items()
        },
        "departments": {
            dep_id: {"questions": score.questions, **score.rates()}
            for dep_id, score in result.departments.items()
        },
        "confusions": [
            {"expected": expected, "got": got, "count": count}
            for (expected, got), count in result.confusions.most_common()
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.classify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--departments",
        type=Path,
        help=f"departments file (default: BOT_DEPARTMENTS_FILE, else {example_departments_file()})",
    )
    parser.add_argument(
        "--data", type=Path, action="append", help="labelled JSON-lines file (repeatable)"
    )
    parser.add_argument(
        "--drop-keywords",
        type=float,
        action="append",
        help="also measure with this share of each department's keywords removed"
        " (repeatable; default 0.4; 0 for none)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for dropping and shuffling")
    parser.add_argument(
        "--stream",
        type=Path,
        action="append",
        help="labelled file replayed for the learning curve (repeatable; default: the"
        " development sets)",
    )
    parser.add_argument(
        "--no-compound-splitting",
        action="store_true",
        help="measure the router without splitting unknown compounds into known words",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    router_module.COMPOUND_SPLITTING = not args.no_compound_splitting

    departments_file = args.departments or default_departments_file(os.environ)
    departments = departments_or_report(departments_file)
    if departments is None:
        return 2
    shares = [share for share in (args.drop_keywords or [0.4]) if share > 0]
    routers: dict[str, Callable[[], Classifier]] = {
        "shipped": lambda: question_classifier(departments)
    }
    for share in shares:
        reduced = drop_keywords(departments, share, args.seed)
        routers[f"-{share:.0%} kw"] = lambda reduced=reduced: question_classifier(reduced)
    started = time.perf_counter()
    built = {name: build() for name, build in routers.items()}
    build_ms = (time.perf_counter() - started) * 1000 / len(built)

    known = built["shipped"].departments
    data: list[tuple[Path, list[Question]]] = []
    skipped: list[str] = []
    for path in args.data or DEFAULT_DATA:
        if not path.is_file():
            skipped.append(f"{short(str(path))} does not exist")
            continue
        problem = check_frozen(path)
        if problem is not None:
            print(problem, file=sys.stderr)
            return 2
        try:
            data.append((path, read_labelled(path, known)))
        except (ValueError, KeyError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 2
    if not data:
        print("No labelled questions to measure: " + "; ".join(skipped), file=sys.stderr)
        return 2

    print(f"departments: {short(str(departments_file))}, seed {args.seed}\n")
    results = [
        evaluate(classifier, path, name, questions)
        for path, questions in data
        for name, classifier in built.items()
    ]
    print_table(results)
    for reason in skipped:
        print(f"skipped: {reason}")
    for result in results:
        if result.router == "shipped":
            print_details(result)

    cold = drop_keywords(
        [dataclasses.replace(department, examples=()) for department in departments],
        0.4,
        args.seed,
    )
    streams = {
        "shipped": (routers["shipped"], read_stream(args.stream or STREAM, known, args.seed)),
        "cold start": (
            lambda: question_classifier(cold),
            read_stream(args.stream or DEVELOPMENT, known, args.seed),
        ),
    }
    curves = {name: learning_curve(build, stream) for name, (build, stream) in streams.items()}
    print(
        f"\nlearning curve: staff forward every wrong route; top-1 per block of {BLOCK} before"
        f" each question's own forward; streams shuffled with seed {args.seed}"
    )
    print(
        f"  shipped: the shipped router on {len(streams['shipped'][1])} development questions"
        " that are not among its examples"
    )
    print(
        "  cold start: without any example and with 40 % of the keywords dropped, on all"
        f" {len(streams['cold start'][1])} development questions"
    )
    print(f"  {'block':>5} " + " ".join(f"{name:>12}" for name in curves))
    for block in range(max(len(curve) for curve in curves.values())):
        row = " ".join(
            f"{curve[block]:>12.3f}" if block < len(curve) else f"{'':>12}"
            for curve in curves.values()
        )
        print(f"  {block + 1:>5} {row}")

    texts = [question.text for _, questions in data for question in questions]
    speed = measure_speed(routers["shipped"](), texts)
    print(
        f"\nspeed on one core: cold {speed['cold_per_second']:,.0f} classifications/s "
        f"({speed['cold_classifications']:,} distinct questions in {speed['cold_seconds']:.2f} s),"
        f" warm {speed['per_second']:,.0f}/s ({speed['classifications']:,} in "
        f"{speed['seconds']:.2f} s); model built in {build_ms:.0f} ms"
    )
    report = {
        "departments_file": short(str(departments_file)),
        "confident_lead": CONFIDENT_LEAD,
        "seed": args.seed,
        "drop_keywords": shares,
        "files": [to_json(result) for result in results],
        "skipped": skipped,
        "learning_curve": {
            "block": BLOCK,
            "questions": {name: len(stream) for name, (_, stream) in streams.items()},
            "top1": curves,
        },
        "speed": {**speed, "build_ms": round(build_ms, 1)},
        "python": sys.version.split()[0],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"results written to {short(str(args.output))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
