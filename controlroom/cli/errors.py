"""What a CLI command raises for a person to read: one line and an exit status."""

from __future__ import annotations

import argparse


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""

    exit_status = 2


class Unreachable(CliError):
    """Something the command needs (Redis, the hub) could not be reached; exit status 3."""

    exit_status = 3


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written; every option's default shown after its help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        shown = default not in (None, False, argparse.SUPPRESS) and default != []
        if shown and action.option_strings and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    summary: str,
    description: str = "",  # type: ignore[type-arg]
) -> argparse.ArgumentParser:
    """A subcommand with its one-line summary in the command list and the shared formatter."""
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=description or summary,
        formatter_class=HelpFormatter,
    )
