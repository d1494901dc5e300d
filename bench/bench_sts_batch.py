"""Throughput of `gridvend sts batch`: encode lines per second through the real entry point.

Pipes LINES credit-token requests (one meter, increasing TIDs, varied amounts) into one
`gridvend sts batch` process and times it, then subtracts the start-up time of an empty
batch to show the steady rate too.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

LINES = 20_000
KEY = "e653341f9d5bf36f"  # STS.md's DKGA02 key for PAN 600727000000000009
FIRST_TID = 5_871_715  # 2004-03-01 13:55 UTC on base 1993


def gridvend_command() -> list[str]:
    """The installed entry point next to this interpreter (the project's venv)."""
    return [str(Path(sys.prefix) / "bin" / "gridvend"), "sts", "batch"]


def encode_lines(count: int) -> str:
    """``count`` distinct encode requests as JSON lines."""
    return "".join(
        json.dumps(
            {
                "op": "encode",
                "key": KEY,
                "class": 0,
                "subclass": 0,
                "tid": FIRST_TID + n,
                "rnd": n % 16,
                "amount": f"{n % 5000}.{n % 10}",
            }
        )
        + "\n"
        for n in range(count)
    )


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_batch(command: list[str], text: str) -> tuple[float, float, list[str]]:
    """Wall and CPU seconds one batch process took for ``text``, and its output lines.

    CPU time is reported too because the build machine is shared: wall time swings with
    whatever else runs, CPU time much less.
    """
    cpu_before = _child_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"gridvend sts batch failed: {done.stderr.strip()[:300]}")
    return elapsed, _child_cpu() - cpu_before, done.stdout.splitlines()


def main(command: list[str] | None = None, lines: int = LINES) -> None:
    """Print lines per second, with and without the process start-up."""
    command = command or gridvend_command()
    text = encode_lines(lines)
    startup, startup_cpu, _ = timed_batch(command, "")
    elapsed, cpu, answers = timed_batch(command, text)
    if len(answers) != lines or any('"error"' in answer for answer in answers):
        raise RuntimeError("the batch did not answer every line with a token")
    print(f"   {' '.join(command)}: {lines} encode lines in {elapsed:.2f} s ({cpu:.2f} s CPU)")
    print(f"   {lines / elapsed:,.0f} lines/s including start-up ({startup:.2f} s)")
    print(f"   {lines / max(elapsed - startup, 1e-9):,.0f} lines/s steady (wall)")
    print(f"   {lines / max(cpu - startup_cpu, 1e-9):,.0f} lines/s per CPU second, steady")


if __name__ == "__main__":
    main()
