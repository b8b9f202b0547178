"""`calldata key`: API keys for billing systems and scripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calldata.auth import keys, users
from calldata.auth.tokens import SHOWN_PREFIX
from calldata.cli import context, tables
from calldata.cli.users import actor

app = typer.Typer(help="Manage API keys (each acts with its owner's permissions).", no_args_is_help=True)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else ""


@app.command()
def create(
    ctx: typer.Context,
    login: str,
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'billing'.")] = "",
    expires_in_days: Annotated[
        int | None, typer.Option("--expires-in-days", min=1, help="Expire after this many days.")
    ] = None,
) -> None:
    """Create a key for a user and print it: it is shown this once and never stored."""
    expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    s = context.settings(ctx)
    try:
        with context.store(ctx).begin() as conn:
            user = users.get(conn, login)
            key_id, key = keys.create(conn, user["id"], pepper=s.token_pepper, name=name,
                                      expires_at=expires, actor=actor())
    except users.AccountError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    Console(stderr=True).print(f"key {key_id} for {login} (expires {_when(expires) or 'never'} UTC); "
                               "store it now, it cannot be shown again:")
    print(key)


@app.command("list")
def list_keys(ctx: typer.Context, login: Annotated[str | None, typer.Argument()] = None) -> None:
    """Keys (id, owner, first characters, dates), optionally of one user."""
    table = Table("id", "login", "name")
    table.add_column("key", no_wrap=True, min_width=SHOWN_PREFIX + 3)
    for heading in ("created", "expires", "revoked", "last used"):
        table.add_column(heading)
    with context.store(ctx).connect() as conn:
        for k in keys.listing(conn, login):
            table.add_row(str(k["id"]), k["login"], k["name"], k["prefix"] + "...",
                          _when(k["created_at"]), _when(k["expires_at"]), _when(k["revoked_at"]),
                          _when(k["last_used_at"]))
    tables.show(table)


@app.command()
def revoke(ctx: typer.Context, key_id: int) -> None:
    """Revoke a key by its id (see `calldata key list`); it stops working at once."""
    try:
        with context.store(ctx).begin() as conn:
            keys.revoke(conn, key_id, actor=actor())
    except keys.KeyProblem as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    Console().print(f"key {key_id} revoked")
