"""The root command's subcommands, each built from its module only when it is looked up.

Importing every group's module up front cost `calldata --version` ~0.8 s (SQLAlchemy, Alembic,
the API, attribution). Typer 0.29 has no lazy subcommands, so the root group's `commands` is
this mapping instead of a dict: its keys are known without imports (`--help`'s order, the "did
you mean" suggestions, shell completion), and a value is imported and built on first access.
`calldata export ...` then loads the export module and what it needs, nothing else; `calldata
--help` still loads them all, for their help texts.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING

import typer
import typer.main

if TYPE_CHECKING:
    from typer import _click as click  # Typer 0.29 builds commands on its own copy of Click


def built(name: str, target: object) -> click.Command:
    """`target` (a command function or a sub-Typer) as the click command Typer itself would make
    of it under `name` with `app.command(name)` or `app.add_typer(target, name=name)`."""
    holder = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)  # type: ignore[arg-type]
    return typer.main.get_group(holder).commands[name]


class LazyCommands(MutableMapping[str, "click.Command"]):
    """Subcommand name -> click command, from `specs` ("module:attribute" under calldata.cli)
    imported on first access and kept; commands added later are kept as given."""

    def __init__(self, specs: Mapping[str, str], given: Mapping[str, click.Command] | None = None) -> None:
        self._specs = dict(specs)
        self._built: dict[str, click.Command] = dict(given or {})

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            module, _, attribute = self._specs[name].partition(":")  # KeyError: no such command
            target = getattr(importlib.import_module(f"calldata.cli.{module}"), attribute)
            self._built[name] = built(name, target)
        return self._built[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._specs.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._specs
        yield from (name for name in self._built if name not in self._specs)

    def __len__(self) -> int:
        return len(self._specs.keys() | self._built.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._specs or name in self._built
