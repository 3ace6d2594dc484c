"""Run by `test_child_process` as a child: prints its niceness and echoes its input."""

import os
import sys

sys.stdout.write(f"{os.nice(0)} {sys.stdin.read()}")
