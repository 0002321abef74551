"""Benchmarks of the platform: signup latency and migrations across many workspaces.

`make bench` runs `python tests/benchmarks/run_all.py`, which creates its own database
(`kartoteka_bench`) on the server of DATABASE_URL and runs each measurement in a
subprocess (`python -m tests.benchmarks.bench_signup ...`, `... bench_migrate ...`).
See README.md here. Benchmarks print figures; they never fail on timing.

This module holds the few helpers the scripts share; it imports nothing from Django
at import time, so the orchestrator can use it before any settings exist.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup_django() -> None:
    """django.setup() with the project's own (production-like) settings.

    Not the test settings: those hash passwords with MD5, and a real signup pays for
    PBKDF2. DATABASE_URL must already point at the benchmark database.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas_platform.settings")
    import django

    django.setup()


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (0.5 = median), linear between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def describe(values: Sequence[float]) -> str:
    """`p50 0.61 s  p95 0.93 s  min .. max  (n=50)` for a list of seconds."""
    if not values:
        return "no samples"
    return (
        f"p50 {percentile(values, 0.5):.3f} s  p95 {percentile(values, 0.95):.3f} s  "
        f"min {min(values):.3f} s  max {max(values):.3f} s  (n={len(values)})"
    )


def write_result(path: str | None, result: dict[str, object]) -> None:
    """Hand a subprocess's figures back to run_all.py (a JSON file it named)."""
    if path:
        Path(path).write_text(json.dumps(result, indent=1), encoding="utf-8")


def say(message: str) -> None:
    """Progress and figures, flushed at once so a long run shows where it is."""
    print(message, flush=True)
