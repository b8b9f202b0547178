"""`calldata directory`: load, show and export the PBX directory attribution uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calldata.attribution import versions
from calldata.attribution.directory import DirectoryError
from calldata.cli import context, tables

app = typer.Typer(help="The PBX directory: companies, extensions, DDIs, trunks, auth codes.", no_args_is_help=True)


@app.command()
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Directory YAML file.")],
) -> None:
    """Validate FILE and store it as the new current directory version."""
    text = file.read_text()
    engine = context.store(ctx)
    try:
        with engine.begin() as conn:
            version = versions.save(conn, text, str(file))
    except DirectoryError as exc:
        err = Console(stderr=True, soft_wrap=True)
        for line, problem in exc.problems:
            err.print(f"[red]{exc.source}:{line}:[/red] {problem}", highlight=False)
        err.print(f"{len(exc.problems)} problem(s); nothing was loaded.")
        raise typer.Exit(1) from None
    Console().print(
        f"directory version {version.id} loaded from {file}; "
        "run `calldata reprocess` to re-attribute rows stored before it."
    )


@app.command()
def show(ctx: typer.Context) -> None:
    """Summarise the current directory version."""
    with context.store(ctx).connect() as conn:
        found = versions.current(conn)
        directory = versions.directory_of(conn)
    if found is None or directory is None:
        Console(stderr=True).print("no directory loaded yet: `calldata directory load FILE`")
        raise typer.Exit(1)
    version = found[0]
    console = Console()
    console.print(f"directory version {version.id}, loaded {version.loaded_at:%Y-%m-%d %H:%M:%S} UTC "
                  f"from {version.source} (sha256 {version.sha256[:12]})")
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
def export(ctx: typer.Context) -> None:
    """Print the current directory version's YAML, exactly as it was loaded."""
    with context.store(ctx).connect() as conn:
        found = versions.current(conn)
    if found is None:
        Console(stderr=True).print("no directory loaded yet: `calldata directory load FILE`")
        raise typer.Exit(1)
    typer.echo(found[1], nl=not found[1].endswith("\n"))
