"""All benchmarks in a row: `python -m bench.all [--quick]` (CI runs `--quick`).

The four on Matrix (the load twice: paced, and the viral burst of `--viral`), then the
latency on Discord (`bench.discord_latency`, on the emulator), then the public web page
under load (`bench.web`).
Each runs in its own process (its own homeserver or emulator, its own event loop); the run
fails if any of them finds something lost, duplicated or wrongly counted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.harness import PROJECT_ROOT, pythonpath_env

BENCHMARKS = ("latency", "load", "load --viral", "scale", "faults", "discord_latency", "web")
TIMEOUT_S = 15 * 60


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--quick", action="store_true", help="small N, correctness only")
    args = arguments.parse_args()
    pythonpath_env()
    timings = []
    failed = []
    for name in BENCHMARKS:
        module, *options = name.split()
        quick = ["--quick"] if args.quick else []
        command = [sys.executable, "-m", f"bench.{module}", *options, *quick]
        print(f"=== {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        status = subprocess.run(command, cwd=PROJECT_ROOT, timeout=TIMEOUT_S, check=False)
        timings.append(f"{name} {time.monotonic() - started:.0f} s")
        if status.returncode != 0:
            failed.append(name)
    print("=== " + ", ".join(timings))
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
