"""The address `serve` and `demo` listen on, tried before they do any work."""

from __future__ import annotations

import socket

import typer


def ensure_free(host: str, port: int) -> None:
    """Stop the command with one line when it could not listen on HOST:PORT (in use, no such
    address): learning that after the migrations or the demo's data helps nobody."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        typer.echo(f"calldata: cannot listen on {host}:{port}: {reason}", err=True)
        raise typer.Exit(1) from None
