"""The `servicebook` program: the command group, and what a crash or an interrupt prints.

Each command lives in its own module under `commands/`, loaded only when that command runs, so
`servicebook --help` and `--version` do not pay for importing the build pipeline (the figure is in
bench/README.md, "Start-up"). The list below is the one place a new command is registered.
"""

from __future__ import annotations

import sys

import click

from servicebook import __version__
from servicebook.commands.lazy import LazyGroup

# name -> (module under servicebook.commands, one-line help shown by `servicebook --help`); a
# command made of subcommands (`export openslo`) is a LazyGroup with a table of its own
# in its module.
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("build", "Check everything, then write the site (the previous one stays if anything fails)."),
    "check": ("check", "Everything `build` checks, without writing anything."),
    "export": ("export", "Write the catalog in a format another tool reads (OpenSLO, Backstage, tech radars)."),
    "diff": ("diff", "What changed in the catalog and policy pages from BASE to HEAD (default: the working tree)."),
    "import": (
        "import_",
        "Print a catalog fragment made from another tool's files (OpenSLO, Sloth, Pyrra, Backstage, tech radars).",
    ),
    "federate": (
        "federate",
        "Pin an organisation site's members in servicebook.lock: `update` moves them, `fetch` gets them.",
    ),
    "init": ("init", "Scaffold a new site in DIRECTORY that builds immediately."),
    "measure": (
        "measure",
        "Ask Prometheus what each SLO attained over its window; write a snapshot under measurements/.",
    ),
    "promised": (
        "promised",
        "What the catalog promised on a day: SLOs, support targets and unsupported tools, from git.",
    ),
    "schema": ("schema", "Print the catalog's JSON Schema (for editors and CI)."),
    "serve": ("serve", "Preview the site on 127.0.0.1, rebuilding and reloading on every change."),
    "verify": ("verify", "Rebuild the published site from git and compare it with a published copy, byte for byte."),
}


class _Group(LazyGroup):
    """Reports a crash as a bug of ours, distinct from any mistake in the user's sources."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            click.echo(_interrupted(exc), err=True)
            raise SystemExit(130) from None
        except Exception:
            import traceback  # only for a crash: at the top, every command paid ~1.2 ms (-X importtime, 4 Dec 2026)

            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "internal error: this is a bug in servicebook, not a problem with your catalog. "
                "Please report it with the text above.",
                err=True,
            )
            raise SystemExit(70) from None


def _interrupted(exc: KeyboardInterrupt) -> str:
    replaced = getattr(exc, "replaced", None)  # set by build (build.Interrupted); absent elsewhere
    if replaced is None:
        return "interrupted"
    if replaced:
        return "interrupted after the new site was in place; the next build finishes recording it"
    if not getattr(exc, "previous", True):
        return "interrupted; nothing was published"
    return "interrupted; the previous site was left as it was"


@click.group(cls=_Group, table=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="servicebook")
def main() -> None:
    """servicebook: publish a platform team's service catalog as a static site."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
