"""Accuracy and speed of the question router: ``python -m bench.classify``.

For every labelled file (JSON lines ``{"text": ..., "department": ...}``) it prints top-1 and
top-3 accuracy overall and per department, how many questions reach `CONFIDENT` and how
often those are right, and the most frequent confusions; then classifications per second in
this one process (Python runs the router on one core). Everything also goes to
``bench/results/classify.json``.

By default it reads the two development sets (``routing-dev.jsonl`` and ``routing-dev2.jsonl``,
both tuned against), the held-out set ``routing-heldout2.jsonl`` (written before the router
was tuned and never tuned against) and the 45 shared examples of the maintainers next to the
repository, if present.

The confidence is meant to be calibrated: the mean confidence of a file's questions should be
close to its top-1 accuracy ("calibration" in the report). Speed is measured twice: "cold", a
freshly built router classifying every distinct question once (most words are new to its
word cache), and "warm", the same router going on through `TIMED_CLASSIFICATIONS` questions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.classify_command import default_departments_file, load_classifier
from bot.config import example_departments_file
from handlers.questions.classifier import CONFIDENT, Classifier

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "bench" / "data"
DEFAULT_DATA = (
    DATA_DIR / "routing-dev.jsonl",
    DATA_DIR / "routing-dev2.jsonl",
    DATA_DIR / "routing-heldout2.jsonl",
    PROJECT_ROOT.parent / "shared" / "data" / "routing-sample.jsonl",
)
RESULTS = PROJECT_ROOT / "bench" / "results" / "classify.json"
TIMED_CLASSIFICATIONS = 5000


@dataclass
class Score:
    """Top-1 and top-3 hits of one group of questions."""

    questions: int = 0
    top1: int = 0
    top3: int = 0

    def add(self, top1: bool, top3: bool) -> None:
        self.questions += 1
        self.top1 += top1
        self.top3 += top3

    def rates(self) -> tuple[float, float]:
        return self.top1 / max(self.questions, 1), self.top3 / max(self.questions, 1)


@dataclass
class FileResult:
    """Everything measured on one data file."""

    path: str
    overall: Score = field(default_factory=Score)
    confident: Score = field(default_factory=Score)
    departments: dict[str, Score] = field(default_factory=dict)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    confidence_sum: float = 0.0

    def mean_confidence(self) -> float:
        return self.confidence_sum / max(self.overall.questions, 1)


def read_labelled(path: Path, known: Sequence[str]) -> list[tuple[str, str]]:
    """The (text, department) pairs of a JSON-lines file; unknown labels are an error."""
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["department"] not in known:
                raise ValueError(f"{path}:{number}: unknown department {row['department']!r}")
            pairs.append((row["text"], row["department"]))
    return pairs


def evaluate(classifier: Classifier, path: Path, pairs: list[tuple[str, str]]) -> FileResult:
    result = FileResult(str(path))
    for dep_id in classifier.departments:
        result.departments[dep_id] = Score()
    for text, expected in pairs:
        answer = classifier.classify(text)
        top1 = answer.department == expected
        top3 = expected in answer.candidates[:3]
        result.overall.add(top1, top3)
        result.confidence_sum += answer.confidence
        result.departments[expected].add(top1, top3)
        if answer.confidence >= CONFIDENT:
            result.confident.add(top1, top3)
        if not top1:
            result.confusions[(expected, answer.department)] += 1
    return result


def measure_speed(fresh: Classifier, texts: Sequence[str]) -> dict[str, float]:
    """Classifications per second of a `fresh` router: cold over the distinct `texts`, then warm.

    Cold, every question is classified once by a router that has classified nothing yet;
    warm, the same router goes on through `TIMED_CLASSIFICATIONS` questions, cycling `texts`.
    """
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


def print_report(
    results: list[FileResult], skipped: list[str], speed: dict[str, float], build_ms: float
) -> None:
    print(
        f"{'data':<40} {'n':>4} {'top-1':>6} {'top-3':>6} {'confident':>10} {'right':>6}"
        f" {'mean conf':>10}"
    )
    for result in results:
        top1, top3 = result.overall.rates()
        share = result.confident.questions / max(result.overall.questions, 1)
        right = result.confident.rates()[0]
        print(
            f"{short(result.path):<40} {result.overall.questions:>4} {top1:>6.3f} {top3:>6.3f}"
            f" {share:>10.2f} {right:>6.3f} {result.mean_confidence():>10.3f}"
        )
    print(
        f"('confident': share with confidence >= {CONFIDENT}; 'right': top-1 among those;"
        " 'mean conf': mean confidence, which a calibrated router keeps close to top-1)"
    )
    for reason in skipped:
        print(f"skipped: {reason}")
    for result in results:
        print(f"\n{short(result.path)}, per department:")
        print(f"  {'department':<12} {'n':>4} {'top-1':>6} {'top-3':>6}")
        for dep_id, score in result.departments.items():
            top1, top3 = score.rates()
            print(f"  {dep_id:<12} {score.questions:>4} {top1:>6.3f} {top3:>6.3f}")
        if result.confusions:
            pairs = ", ".join(
                f"{expected}->{got} {count}"
                for (expected, got), count in result.confusions.most_common()
            )
            print(f"  confusions (expected->got): {pairs}")
    print(
        f"\nspeed on one core: cold {speed['cold_per_second']:,.0f} classifications/s "
        f"({speed['cold_classifications']:,} distinct questions in {speed['cold_seconds']:.2f} s),"
        f" warm {speed['per_second']:,.0f}/s ({speed['classifications']:,} in "
        f"{speed['seconds']:.2f} s); model built in {build_ms:.0f} ms"
    )


def short(path: str) -> str:
    """`path` relative to the project root (``../shared/...`` for the shared data)."""
    resolved = Path(path).resolve()
    for base, prefix in ((PROJECT_ROOT, ""), (PROJECT_ROOT.parent, "../")):
        if resolved.is_relative_to(base):
            return prefix + str(resolved.relative_to(base))
    return path


def to_json(result: FileResult) -> dict[str, object]:
    top1, top3 = result.overall.rates()
    return {
        "path": short(result.path),
        "questions": result.overall.questions,
        "top1": round(top1, 4),
        "top3": round(top3, 4),
        "confident": asdict(result.confident),
        "mean_confidence": round(result.mean_confidence(), 4),
        "departments": {dep_id: asdict(score) for dep_id, score in result.departments.items()},
        "confusions": [
            {"expected": expected, "got": got, "count": count}
            for (expected, got), count in result.confusions.most_common()
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.classify", description=__doc__)
    parser.add_argument(
        "--departments",
        type=Path,
        help=f"departments file (default: BOT_DEPARTMENTS_FILE, else {example_departments_file()})",
    )
    parser.add_argument(
        "--data", type=Path, action="append", help="labelled JSON-lines file (repeatable)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)

    departments_file = args.departments or default_departments_file(os.environ)
    problems: list[str] = []
    started = time.perf_counter()
    classifier = load_classifier(departments_file, problems)
    build_ms = (time.perf_counter() - started) * 1000
    if classifier is None:
        print("\n".join(problems), file=sys.stderr)
        return 2

    results: list[FileResult] = []
    skipped: list[str] = []
    texts: list[str] = []
    for path in args.data or DEFAULT_DATA:
        if not path.is_file():
            skipped.append(f"{path} does not exist")
            continue
        try:
            pairs = read_labelled(path, classifier.departments)
        except (ValueError, KeyError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            return 2
        results.append(evaluate(classifier, path, pairs))
        texts.extend(text for text, _ in pairs)
    if not texts:
        print("No labelled questions to measure: " + "; ".join(skipped), file=sys.stderr)
        return 2
    speed = measure_speed(load_classifier(departments_file, []) or classifier, texts)

    print(f"departments: {short(str(departments_file))}, CONFIDENT = {CONFIDENT}\n")
    print_report(results, skipped, speed, build_ms)
    report = {
        "departments_file": short(str(departments_file)),
        "confident_threshold": CONFIDENT,
        "files": [to_json(result) for result in results],
        "skipped": skipped,
        "speed": {**speed, "build_ms": round(build_ms, 1)},
        "python": sys.version.split()[0],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(f"results written to {short(str(args.output))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
