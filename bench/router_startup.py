"""What the question router costs a starting bot: ``python -m bench.router_startup``.

Each measurement runs in a fresh interpreter (``--repeat`` times, default 3), so that what
importing the router pulls in is really loaded and counted. It reports, per run:

* ``import``: seconds to import `handlers.questions.classifier` (and with it numpy and the
  text tools);
* ``train``: seconds to read the departments file (``BOT_DEPARTMENTS_FILE`` or the shipped
  example) and train the router on it;
* ``max RSS``: the interpreter's peak resident memory in MB after both (``getrusage``), next
  to the peak of a bare interpreter that only imported `bot.config`, for comparison.

Issue 14 asks for a bot start of at most a second to the first answered command and at most
200 MB with 100,000 ideas; this shows the router's share of both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence

_CHILD = """
import json, os, resource, time
from pathlib import Path
from bot.config import example_departments_file, load_departments
result = {{}}
if {router}:
    start = time.perf_counter()
    from handlers.questions.classifier import Classifier
    imported = time.perf_counter()
    configured = os.environ.get("BOT_DEPARTMENTS_FILE", "").strip()
    problems = []
    departments = load_departments(
        Path(configured) if configured else example_departments_file(), problems
    )
    assert not problems, problems
    Classifier(departments)
    done = time.perf_counter()
    result = dict(imported=imported - start, trained=done - imported)
result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def _run(router: bool) -> dict[str, float]:
    """One fresh interpreter: with the router imported and trained, or only `bot.config`."""
    output = subprocess.run(
        [sys.executable, "-c", _CHILD.format(router=router)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return json.loads(output)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh interpreters per figure")
    args = parser.parse_args(argv)
    bare = [_run(router=False)["max_rss_mb"] for _ in range(args.repeat)]
    runs = [_run(router=True) for _ in range(args.repeat)]
    print(f"{'run':>4} {'import s':>9} {'train s':>8} {'max RSS MB':>11}")
    for number, run in enumerate(runs, 1):
        print(
            f"{number:>4} {run['imported']:>9.2f} {run['trained']:>8.2f} {run['max_rss_mb']:>11.1f}"
        )
    print(
        f"median: import {statistics.median(r['imported'] for r in runs):.2f} s, "
        f"train {statistics.median(r['trained'] for r in runs):.2f} s, "
        f"max RSS {statistics.median(r['max_rss_mb'] for r in runs):.1f} MB "
        f"(bare interpreter with bot.config: {statistics.median(bare):.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
