"""A click group whose subcommands are modules of `servicebook.commands`, imported when they run.

A table maps each subcommand's name to its module and its one-line help, so a group's `--help`
lists its commands without importing any of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

from servicebook.source.lookalike import close_to, meant_any


class LazyGroup(click.Group):
    def __init__(
        self,
        *args: Any,
        table: Mapping[str, tuple[str, str]],
        instead: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.table = dict(table)
        self.instead = dict(instead or {})  # a command people guess, which we do not have → what to run

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002 - click's signature
        return sorted(self.table)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: ARG002
        if cmd_name not in self.table:
            return None
        module = importlib.import_module(f"servicebook.commands.{self.table[cmd_name][0]}")
        command: click.Command = module.command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, with the nearest command named for a misspelt one (`biuld`: did you mean
        'build'?), as click already does for a misspelt option."""
        name = args[0] if args else ""
        if name in self.instead and name not in self.table:
            ctx.fail(f"No such command {name!r}: {self.instead[name]}")
        if name and not name.startswith("-") and name not in self.table:
            near = close_to(name, self.table)  # every one as near, in order: not difflib's pick among equals
            if near:
                ctx.fail(f"No such command {name!r}. D{meant_any(name, near)[1:]}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.table[name][1]) for name in self.list_commands(ctx)])
