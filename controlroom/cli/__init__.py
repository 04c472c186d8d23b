"""The ``controlroom`` command.

Every failure a person can cause (a missing or broken config, a port in use, a
data directory that cannot be written, a wrong account name) ends with one clear
line on stderr and exit status 2; something that could not be reached (Redis, the
hub) exits 3. Never a traceback: an unexpected error is one line too, and
``CONTROLROOM_DEBUG=1`` shows its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback

from controlroom import package_version
from controlroom.cli import accounts, check, logs, serve
from controlroom.cli.errors import CliError, HelpFormatter, Unreachable
from controlroom.config import ConfigError

__all__ = ["CliError", "Unreachable", "build_parser", "main"]

DESCRIPTION = """\
controlroom: the live control room for online conferences.

Start with 'controlroom demo' (the demo conference, password 'demo'), or check
and serve your own conference directory:

  controlroom check --config DIR
  controlroom serve --config DIR --data DATA

'controlroom COMMAND --help' explains each command."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from controlroom.agent.cli import add_parser as add_agent_parser

    parser = argparse.ArgumentParser(
        prog="controlroom", description=DESCRIPTION, formatter_class=HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"controlroom {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_parsers(sub)
    check.add_parser(sub)
    accounts.add_parser(sub)
    add_agent_parser(sub)
    logs.add_parsers(sub)
    return parser


def _quiet_stdout() -> None:
    """After a broken pipe (``| head``), stop Python's own flush at exit from failing too."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``controlroom`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["bench"]:  # every option after it belongs to python -m bench
            return logs.cmd_bench(argv[1:])
        args = build_parser().parse_args(argv)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not in Python's exit handler
        return status
    except (CliError, ConfigError) as exc:
        print(f"controlroom: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_status", 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence
        if os.environ.get("CONTROLROOM_DEBUG"):
            traceback.print_exc()
        print(
            f"controlroom: internal error: {type(exc).__name__}: {exc}"
            " (CONTROLROOM_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
