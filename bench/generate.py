"""Benchmark: the demo generator and its cdr_csv writer, against floors measured in the same run.

Usage: .venv/bin/python bench/generate.py [ROWS]
Prints rows a second (wall clock and this process's CPU time, since the machine is shared) for:
generating `Cdr`s; writing those rows as Master.csv; both together into a file (what
`calldata generate` does); and two floors: building the same number of `Cdr`s from constants
(the least any generator of `Cdr`s pays), and the standard library's C `csv.writer` writing the
same rows as ready-made tuples of text (the least a Python CSV writer pays).
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from calldata.attribution.directory import load_directory
from calldata.cdr import Cdr
from calldata.demo.cdr_csv import write_csv
from calldata.demo.generator import generate

DIRECTORY = Path(__file__).resolve().parent.parent / "src" / "calldata" / "demo" / "directory.yaml"


def timed(label: str, rows: int, work: Callable[[], object]) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<46} {wall:7.2f} s  {rows / wall:10,.0f} rows/s  {rows / cpu:10,.0f} rows/cpu-s")
    return rows / cpu


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    directory = load_directory(DIRECTORY)
    print(f"{rows:,} rows; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")

    def stream() -> None:
        for _ in generate(directory, rows=rows, seed=1):
            pass

    gen = timed("generate (Cdr objects, streamed)", rows, stream)
    made = list(generate(directory, rows=rows, seed=1))  # kept for the writer
    sample = made[0]

    def floor_cdrs() -> None:
        s = sample
        for _ in range(rows):
            Cdr(start=s.start, answer=s.answer, end=s.end, clid=s.clid, src=s.src, dst=s.dst, dcontext=s.dcontext,
                channel=s.channel, dstchannel=s.dstchannel, lastapp=s.lastapp, lastdata=s.lastdata,
                duration=s.duration, billsec=s.billsec, disposition=s.disposition, amaflags=s.amaflags,
                accountcode=s.accountcode, uniqueid=s.uniqueid, linkedid=s.linkedid, peeraccount=s.peeraccount,
                sequence=s.sequence, userfield=s.userfield)

    floor_gen = timed("floor: the same number of Cdr(...) of constants", rows, floor_cdrs)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Master.csv"

        def write() -> None:
            with path.open("w", encoding="utf-8", newline="") as stream:
                write_csv(made, stream)

        wrote = timed("write Master.csv (cdr_csv writer)", rows, write)
        size = path.stat().st_size
        tuples = [tuple(str(v) for v in (r.accountcode, r.src, r.dst, r.dcontext, r.clid, r.channel, r.dstchannel,
                                         r.lastapp, r.lastdata, r.start, r.answer, r.end, r.duration, r.billsec,
                                         r.disposition, r.amaflags, r.uniqueid, r.userfield, r.peeraccount,
                                         r.linkedid, r.sequence)) for r in made]
        del made[:]

        def floor_csv() -> None:
            with path.open("w", encoding="utf-8", newline="") as stream:
                csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(tuples)

        floor_write = timed("floor: csv.writer of the same rows as text", rows, floor_csv)
        del tuples

        def both() -> None:
            with path.open("w", encoding="utf-8", newline="") as stream:
                write_csv(generate(directory, rows=rows, seed=1), stream)

        together = timed("generate + write (calldata generate)", rows, both)
    print(f"file: {size / 1e6:.1f} MB ({size / rows:.0f} bytes a row)")
    print(f"ratios (cpu): generate / Cdr floor {gen / floor_gen:.2f}; write / csv.writer floor "
          f"{wrote / floor_write:.2f}; 10 million rows through calldata generate: {1e7 / together / 60:.1f} cpu-minutes")


if __name__ == "__main__":
    main()
