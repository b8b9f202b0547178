"""`calldata directory`: load, roll back, list, show and export the PBX directory attribution uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calldata.attribution import versions
from calldata.attribution.directory import DirectoryError, parse_directory, read_directory
from calldata.cli import context, tables

app = typer.Typer(help="The PBX directory: companies, extensions, DDIs, trunks, auth codes.", no_args_is_help=True)

Force = Annotated[bool, typer.Option("--force", help="Accept a directory without companies.")]
REPROCESS = "run `calldata reprocess` to re-attribute rows stored before it."
VersionOption = Annotated[int | None, typer.Option("--version", min=1, help="A stored version (default: the current one).")]


def report_problems(exc: DirectoryError, consequence: str, *, forceable: bool = False) -> None:
    """Print a bad directory's problems on stderr, one line each (just one line for one problem)."""
    err = Console(stderr=True, soft_wrap=True)
    hint = " (--force loads it anyway)" if forceable and isinstance(exc, versions.NoCompanies) else ""
    if len(exc.problems) == 1:
        line, problem = exc.problems[0]
        err.print(f"[red]{exc.source}:{line}:[/red] {problem}{hint}; {consequence}", highlight=False)
        return
    for line, problem in exc.problems:
        err.print(f"[red]{exc.source}:{line}:[/red] {problem}", highlight=False)
    err.print(f"{len(exc.problems)} problems; {consequence}")


@app.command()
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Directory YAML file.")],
    force: Force = False,
) -> None:
    """Validate FILE and store it as the new current directory version (unless it already is)."""
    try:
        text = read_directory(file)
        with context.store(ctx).begin() as conn:
            version, created = versions.save(conn, text, str(file), allow_empty=force)
    except DirectoryError as exc:
        report_problems(exc, "nothing was loaded", forceable=True)
        raise typer.Exit(1) from None
    if created:
        typer.echo(f"directory version {version.id} loaded from {file}; {REPROCESS}")
    else:
        typer.echo(f"{file} is identical to the current directory version {version.id}: nothing loaded.")


@app.command()
def rollback(
    ctx: typer.Context,
    version: Annotated[int | None, typer.Argument(min=1, help="The version to make current (default: the previous one).")] = None,
    force: Force = False,
) -> None:
    """Make the previous (or the given) version current again, stored as a new version."""
    try:
        with context.store(ctx).begin() as conn:
            now, created = versions.rollback(conn, version, allow_empty=force)
    except versions.NoSuchVersion as exc:
        typer.echo(f"calldata: {exc}; nothing changed (`calldata directory history` lists the versions)", err=True)
        raise typer.Exit(1) from None
    except DirectoryError as exc:
        report_problems(exc, "nothing changed", forceable=True)
        raise typer.Exit(1) from None
    if created:
        typer.echo(f"directory version {now.id} is the {now.source}; {REPROCESS}")
    else:
        typer.echo(f"version {version} is identical to the current directory version {now.id}: nothing changed.")


@app.command()
def history(ctx: typer.Context) -> None:
    """List every stored version, oldest first; the last one is current."""
    with context.store(ctx).connect() as conn:
        stored = versions.history(conn)
    table = Table("version", "loaded (UTC)", "from", "sha256", title="Directory versions")
    for version in stored:
        table.add_row(str(version.id), f"{version.loaded_at:%Y-%m-%d %H:%M:%S}", version.source, version.sha256[:12])
    tables.show(table)


def _missing(version: int | None) -> typer.Exit:
    message = "no directory loaded yet: `calldata directory load FILE`" if version is None else \
        f"no directory version {version} (`calldata directory history` lists them)"
    typer.echo(f"calldata: {message}", err=True)
    return typer.Exit(1)


@app.command()
def show(ctx: typer.Context, version: VersionOption = None) -> None:
    """Summarise the current (or the given) directory version."""
    with context.store(ctx).connect() as conn:
        found = versions.get(conn, version)
    if found is None:
        raise _missing(version)
    stored, text = found
    directory = parse_directory(text, f"directory version {stored.id}")
    console = Console()
    console.print(f"directory version {stored.id}, loaded {stored.loaded_at:%Y-%m-%d %H:%M:%S} UTC "
                  f"from {stored.source} (sha256 {stored.sha256[:12]})")
    companies = Table("company", "name", "contexts", "outside prefix", "extensions", "DDIs", title="Companies")
    for cid, company in directory.companies.items():
        companies.add_row(cid, company.name, ", ".join(company.contexts), company.outside_prefix,
                          str(len(company.extensions)), str(len(company.ddis)))
    tables.show(companies, console)
    trunks = Table("trunk", "channels", "company", title="Trunks")
    for name, trunk in directory.trunks.items():
        trunks.add_row(name, ", ".join(trunk.channels), trunk.company or "(shared)")
    tables.show(trunks, console)
    console.print(f"auth codes: {len(directory.auth_codes)}")


@app.command()
def export(ctx: typer.Context, version: VersionOption = None) -> None:
    """Print the current (or the given) directory version's YAML, exactly as it was loaded."""
    with context.store(ctx).connect() as conn:
        found = versions.get(conn, version)
    if found is None:
        raise _missing(version)
    typer.echo(found[1], nl=not found[1].endswith("\n"))
