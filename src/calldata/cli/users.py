"""`calldata user`: accounts and their permissions."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calldata.attribution import versions
from calldata.auth import users
from calldata.auth.permissions import PERMISSIONS, GrantError, check_companies
from calldata.cli import context, tables

app = typer.Typer(help="Manage users and their permissions.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
]
GrantCompanies = Annotated[
    list[str] | None,
    typer.Option("--company", "-c", help="Grant for this company only (repeatable; it must be in the"
                 " directory); none: system-wide."),
]
RevokeCompanies = Annotated[
    list[str] | None,
    typer.Option("--company", "-c", help="Revoke the grant for this company only (repeatable); none:"
                 " every grant of the permission, system-wide and per company."),
]


def actor() -> str:
    """Who is at the keyboard, for the audit log."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # no user name in this environment
        return "cli"


def read_password(from_stdin: bool) -> str:
    """A new password: from stdin, or typed twice at a hidden prompt (never a command-line argument)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise typer.BadParameter("the password must not be empty")
    return password


def _fail(exc: Exception | str) -> typer.Exit:
    """One line on stderr (never wrapped), and the exit to raise."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command()
def add(
    ctx: typer.Context,
    login: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    home: Annotated[str, typer.Option(help="Home company id.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (with no permissions until granted)."""
    password = read_password(password_stdin)
    s = context.settings(ctx)
    try:
        with context.store(ctx).begin() as conn:
            users.add_user(conn, login, password, name=name, home=home,
                           profile=s.password_hash_profile, actor=actor())
    except users.AccountError as exc:
        raise _fail(exc) from None
    Console().print(f"user {login} added")


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """Every user, with their permissions."""
    table = Table("login", "name", "home", "state", "permissions")
    with context.store(ctx).connect() as conn:
        for user in users.listing(conn):
            perms = "; ".join(f"{p}: {', '.join(sorted(s))}" for p, s in sorted(user["grants"].items()))
            table.add_row(user["login"], user["name"], user["home"],
                          "disabled" if user["disabled"] else "active", perms)
    tables.show(table)


@app.command()
def passwd(ctx: typer.Context, login: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (ends their sessions)."""
    password = read_password(password_stdin)
    s = context.settings(ctx)
    try:
        with context.store(ctx).begin() as conn:
            users.set_password(conn, login, password, profile=s.password_hash_profile, actor=actor())
    except users.AccountError as exc:
        raise _fail(exc) from None
    Console().print(f"password of {login} changed")


@app.command(help=f"Grant a permission ({', '.join(PERMISSIONS)}) system-wide or for companies.")
def grant(ctx: typer.Context, login: str, permission: str, company: GrantCompanies = None) -> None:
    try:
        with context.store(ctx).begin() as conn:
            lookup = versions.current_lookup(conn)
            check_companies(company or [], None if lookup is None else lookup.companies)
            users.grant(conn, login, permission, company or [], actor=actor())
    except (users.AccountError, GrantError) as exc:
        raise _fail(exc) from None
    scope = ", ".join(company) if company else "system-wide"
    Console().print(f"{login}: {permission} granted ({scope})")


@app.command()
def revoke(ctx: typer.Context, login: str, permission: str, company: RevokeCompanies = None) -> None:
    """Take a permission back: for the companies given, or entirely."""
    try:
        with context.store(ctx).begin() as conn:
            removed = users.revoke(conn, login, permission, company or [], actor=actor())
    except users.AccountError as exc:
        raise _fail(exc) from None
    Console().print(f"{login}: {removed} grant(s) of {permission} revoked")


@app.command()
def disable(
    ctx: typer.Context,
    login: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again.")] = False,
) -> None:
    """Disable a user: their sessions end and their keys stop working (--enable undoes it)."""
    try:
        with context.store(ctx).begin() as conn:
            users.set_disabled(conn, login, not enable, actor=actor())
    except users.AccountError as exc:
        raise _fail(exc) from None
    Console().print(f"user {login} {'enabled' if enable else 'disabled'}")


@app.command()
def audit(
    ctx: typer.Context,
    login: Annotated[str | None, typer.Option(help="Only this user's entries.")] = None,
    limit: Annotated[int, typer.Option(help="How many entries (1 or more).")] = 50,
) -> None:
    """The audit log, most recently seen first: logins, key use, changes to users, keys and
    grants. A repeated event is one entry per hour with its count and first and last time."""
    from calldata.auth import audit as audit_log

    if limit < 1:
        raise _fail(f"--limit: must be 1 or more, not {limit}")
    table = Table()
    for heading in ("last (UTC)", "count", "first (UTC)", "event"):
        table.add_column(heading, no_wrap=True)
    for heading in ("login", "actor", "address", "detail"):
        table.add_column(heading)
    with context.store(ctx).connect() as conn:
        for e in audit_log.listing(conn, login, limit):
            first = "" if e["count"] == 1 else f"{e['at']:%Y-%m-%d %H:%M:%S}"
            table.add_row(f"{e['last_at']:%Y-%m-%d %H:%M:%S}", str(e["count"]), first, e["event"],
                          e["login"], e["actor"], e["address"], e["detail"])
    tables.show(table)
