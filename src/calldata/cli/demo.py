"""`calldata generate` (realistic Master.csv files) and `calldata demo` (a filled store, served)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from calldata.attribution.directory import Directory, DirectoryError, parse_directory, read_directory
from calldata.cli import context
from calldata.cli import serve as serve_cli
from calldata.cli.directory import report_problems
from calldata.cli.port import ensure_free
from calldata.demo import demo as steps
from calldata.demo.cdr_csv import write_csv
from calldata.demo.queue_log import write_queue_log
from calldata.demo import generator
from calldata.demo import recordings as demo_recordings
from calldata.demo.generator import DEFAULT_START
from calldata.demo.pbx import mix
from calldata.queues.event import QueueEvent
from calldata.recordings.scan import scan
from calldata.store.engine import sync_engine, upgrade

QUEUE_LOG = "queue_log"  # Asterisk's file name

DirectoryOption = Annotated[
    Path | None,
    typer.Option("--directory", exists=True, dir_okay=False, readable=True,
                 help="Directory YAML whose companies make the calls (default: the example PBX)."),
]
Seed = Annotated[int, typer.Option("--seed", help="Same seed, directory and start: same rows.")]
Days = Annotated[int, typer.Option("--days", min=1, help="Days the calls are spread over.")]


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console)


def _directory(path: Path | None) -> tuple[Directory, str, str]:
    """The directory, its text and where it came from; a bad file is reported line by line."""
    path = path or steps.EXAMPLE_DIRECTORY
    try:
        text = read_directory(path)
        directory = parse_directory(text, str(path))
    except DirectoryError as exc:
        report_problems(exc, "nothing was done")
        raise typer.Exit(1) from None
    if not mix(directory):
        typer.echo(f"{path}: no company with users, DDIs or trunks to make calls with; nothing was done", err=True)
        raise typer.Exit(1)
    return directory, text, str(path)


def _rate(done: int, began: float) -> str:
    return f"{done / max(time.perf_counter() - began, 1e-9):,.0f} rows/s"


def _recordings(engine: Engine, credentials: Path, console: Console) -> Path:
    """Short WAVs for the latest recorded calls, in a folder beside the demo's files, scanned."""
    folder = demo_recordings.folder(credentials)
    written = demo_recordings.write(engine, folder)
    report = scan(engine, folder)
    console.print(f"recordings: {written} written to {folder}, {report.files - len(report.untied)} of"
                  f" {report.files} tied to their legs", highlight=False)
    return folder


def generate(
    rows: Annotated[int, typer.Option("--rows", min=0, help="How many CDR rows to write.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="The CSV file to write (cdr_csv layout).")],
    seed: Seed = 0,
    days: Days = steps.DEFAULT_DAYS,
    start: Annotated[
        datetime | None,
        typer.Option("--start", formats=["%Y-%m-%d"], help=f"First day, UTC (default {DEFAULT_START:%Y-%m-%d})."),
    ] = None,
    directory: DirectoryOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write realistic Asterisk CDRs as cdr_csv's Master.csv (usegmtime, loguniqueid, loguserfield, newcdrcolumns)."""
    pbx, _, source = _directory(directory)
    first = (start or DEFAULT_START).replace(tzinfo=DEFAULT_START.tzinfo)
    console = Console(stderr=True, soft_wrap=True)
    try:
        stream = out.open("w" if force else "x", encoding="utf-8", newline="")
    except OSError as exc:
        again = " (--force overwrites it)" if isinstance(exc, FileExistsError) else ""
        console.print(f"[red]cannot write {out}:[/red] {exc.strerror}{again}", highlight=False)
        raise typer.Exit(1) from None
    began = time.perf_counter()
    events: list[QueueEvent] = []
    with _progress(console) as progress, stream:
        task = progress.add_task(out.name, total=rows, rate="")
        written = write_csv(
            generator.generate(pbx, rows=rows, seed=seed, start=first, days=days, queue_log=events),
            stream,
            progress=lambda done: progress.update(task, completed=done, rate=_rate(done, began)),
        )
    elapsed = time.perf_counter() - began
    console.print(f"{written:,} rows from {source} written to {out} in {elapsed:.1f} s "
                  f"({written / max(elapsed, 1e-9):,.0f} rows/s)")
    beside = out.with_name(QUEUE_LOG)  # the queue calls' queue_log, as Asterisk keeps it beside Master.csv
    with beside.open("w", encoding="utf-8", newline="") as log:
        console.print(f"{write_queue_log(events, log):,} queue_log lines written to {beside}")


def demo(
    ctx: typer.Context,
    rows: Annotated[int, typer.Option("--rows", min=1, help="CDR rows to generate into an empty store.")] = steps.DEFAULT_ROWS,
    host: Annotated[str | None, typer.Option("--host", help="Address to serve on (default CALLDATA_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port to serve on (default CALLDATA_PORT).")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Prepare the store and stop.")] = False,
    seed: Seed = 0,
    days: Days = steps.DEFAULT_DAYS,
    directory: DirectoryOption = None,
) -> None:
    """A demo store (calldata-demo.sqlite3 unless --database-url) filled with realistic CDRs, then the API."""
    given = ctx.find_root().params.get("database_url")
    settings = context.settings(ctx).with_overrides(database_url=steps.store_url(given), host=host, port=port)
    if not no_serve:
        ensure_free(settings.host, settings.port)
    pbx, text, source = _directory(directory)
    console = Console(stderr=True)
    engine = sync_engine(settings.database_url)
    upgrade(engine)
    try:
        version = steps.load_directory(engine, text, source)
    except steps.NotADemoStore as exc:
        console.print(f"[red]{settings.database_url}:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except DirectoryError as exc:  # a valid directory without companies
        report_problems(exc, "nothing was done")
        raise typer.Exit(1) from None
    console.print(f"store {settings.database_url}; directory version {version} from {source}")
    console.print(f"rate decks: {', '.join(steps.load_decks(engine))} ({steps.EXAMPLE_DECKS})", highlight=False)
    have = steps.stored_rows(engine)
    start = steps.period_start(engine, days)
    if have >= rows:
        console.print(f"{have:,} CDRs already stored: reusing them")
    else:
        began = time.perf_counter()
        with _progress(console) as progress:
            task = progress.add_task("generating and storing CDRs", total=rows, rate="")
            events: list[QueueEvent] = []
            stored = steps.fill(engine, pbx, rows=rows, seed=seed, start=start, days=days, queue_log=events,
                                progress=lambda done: progress.update(task, completed=done, rate=_rate(done, began)))
        # `attributed` also counts earlier legs written again when a later leg joined their call
        regrown = stored.attributed - stored.inserted
        console.print(f"{stored.inserted:,} CDRs stored and attributed ({stored.present:,} were already there"
                      + (f"; earlier legs updated as their calls grew: {regrown:,}" if regrown else "")
                      + f"), {time.perf_counter() - began:.1f} s")
        console.print(f"{steps.store_queue_log(engine, events):,} queue_log events stored (the queue calls')")
    rated = steps.rate(engine, start, days)
    console.print(f"{rated.examined:,} legs out looked at for pricing, {rated.changed:,} priced anew")
    credentials = steps.credentials_path(settings.database_url)
    settings = settings.with_overrides(recordings_dir=str(_recordings(engine, credentials, console)))
    company = next(iter(pbx.companies), "default")
    lines = steps.accounts(engine, settings, company, credentials)
    engine.dispose()
    out = Console()
    out.print(f"\nThe web console at {steps.base_url(settings)}/ (log in as admin, or as billing to see one"
              " company's calls)", highlight=False)
    out.print(f"The Call Data API at {steps.base_url(settings)}/rest/call/read\n", highlight=False)
    for line in lines:
        out.print(line, highlight=False, soft_wrap=True)
    out.print(f"Recordings: POST {steps.base_url(settings)}/rest/call/list with"
              ' {"scope": {"type": "recording"}} (docs/recordings.md)\n', highlight=False)
    if no_serve:
        return
    out.print("Serving; Ctrl-C stops.", highlight=False)
    serve_cli.run(settings)
