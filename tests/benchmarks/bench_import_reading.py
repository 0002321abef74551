"""Reading import files: rows per second and peak memory of `open_table` + `iter_rows`.

    python -m tests.benchmarks.bench_import_reading [--rows 100000] [--columns 20]
        [--with-openpyxl] [--result-file FILE]

Builds (tests/onboarding/importing/files.py) a cp1251 ";" CSV and an XLSX of --rows
contacts with --columns columns, then reads each in a fresh subprocess, so each peak
RSS is that reader's alone:

- csv: open_table (the whole-file encoding scan, delimiter and header detection, the
  preview) then every row through iter_rows;
- csv.reader: the plain standard-library reader over the same file (encoding and
  delimiter given), the floor to compare with;
- xlsx: open_table then iter_rows (the streaming reader of xlsx_stream);
- openpyxl (--with-openpyxl): openpyxl's read-only mode over the same XLSX, for scale.

"baseline" is the peak RSS of the same subprocess with Django loaded and nothing read.
No database is used. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import ROOT, say, setup_django, write_result


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, path: Path) -> dict[str, float]:
    """Read `path` the `kind` way in this process; the figures as a dict."""
    setup_django()
    started = time.perf_counter()
    opened = 0.0
    rows = 0
    if kind == "baseline":
        pass
    elif kind in ("csv", "xlsx"):
        from onboarding.importing.reading import open_table

        info = open_table(path, original_name=path.name)
        opened = time.perf_counter() - started
        for _row in info.iter_rows():
            rows += 1
    elif kind == "csv.reader":
        import csv

        with path.open(encoding="cp1251", newline="") as stream:
            reader = csv.reader(stream, delimiter=";")
            next(reader)
            for _row in reader:
                rows += 1
    elif kind == "openpyxl":
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for _row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True):
            rows += 1
        workbook.close()
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "open_seconds": round(opened, 3),
        "rows_per_second": round(rows / seconds) if seconds and rows else 0,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _in_subprocess(kind: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_import_reading", "--measure", kind,
         str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--with-openpyxl", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--result-file")
    arguments = parser.parse_args(argv)
    if arguments.measure:
        kind, path = arguments.measure
        print(json.dumps(measure(kind, Path(path))), flush=True)
        return 0

    setup_django()
    from tests.onboarding.importing import files

    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="kartoteka-bench-import-") as folder:
        say(f"Building a {arguments.rows:,}-row, {arguments.columns}-column cp1251 CSV and XLSX")
        started = time.perf_counter()
        csv_path = files.big_cp1251_csv(Path(folder), arguments.rows, arguments.columns)
        xlsx_path = files.big_xlsx(Path(folder), arguments.rows, arguments.columns)
        say(
            f"   built in {time.perf_counter() - started:.1f} s: CSV "
            f"{csv_path.stat().st_size / 1e6:.1f} MB, XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB"
        )
        cases = [("baseline", csv_path), ("csv", csv_path), ("csv.reader", csv_path),
                 ("xlsx", xlsx_path)]  # fmt: skip
        if arguments.with_openpyxl:
            cases.append(("openpyxl", xlsx_path))
        columns = ("rows", "open s", "total s", "rows/s")
        say(f"   {'reader':<12} {columns[0]:>9} {columns[1]:>8} {columns[2]:>8} "
            f"{columns[3]:>9} {'peak RSS':>9}")  # fmt: skip
        for kind, path in cases:
            figures = _in_subprocess(kind, path)
            results[kind] = figures
            say(
                f"   {kind:<12} {figures['rows']:>9,} {figures['open_seconds']:>8.2f} "
                f"{figures['seconds']:>8.2f} {figures['rows_per_second']:>9,} "
                f"{figures['peak_rss_mb']:>6.0f} MB"
            )
    write_result(arguments.result_file, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
