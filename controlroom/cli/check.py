"""``controlroom check``: validate a conference directory before the day, and summarise it."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from controlroom.cli.errors import add_command


def in_words(ms: int, timezone: str) -> str:
    """``Tuesday 1 December 2026, 08:00 (Asia/Ho_Chi_Minh)``."""
    moment = datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone))
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M} ({timezone})"


def summary(config: Any, accounts: list[Any]) -> list[str]:
    """The lines ``check`` prints for one loaded conference and its accounts."""
    info = config.conference
    kinds = Counter(site.kind for site in config.sites)
    roles = Counter(account.role for account in accounts if not account.revoked)
    revoked = sum(account.revoked for account in accounts)
    role_text = ", ".join(f"{n} {role}" for role, n in sorted(roles.items()))
    lines = [
        f"{info.id}: {info.title}",
        f"  {len(config.sites)} sites ({kinds['central']} central, {kinds['site']} bridge sites)",
        f"  {len(config.agenda)} run-script rows",
        f"  {len(accounts)} accounts ({role_text}{f', {revoked} revoked' if revoked else ''})",
        f"  start: {in_words(info.starts_at, info.timezone)}",
    ]
    if info.test_at is not None:
        lines.append(f"  connectivity test: {in_words(info.test_at, info.timezone)}")
    else:
        lines.append("  connectivity test: none planned (no test_at in conference.toml)")
    site_accounts = {a.site for a in accounts if a.site is not None and not a.revoked}
    without = [s.code for s in config.sites if s.kind == "site" and s.code not in site_accounts]
    if without:
        shown = ", ".join(without[:8]) + (" ..." if len(without) > 8 else "")
        lines.append(f"  warning: {len(without)} site(s) without an account: {shown}")
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    """Load every file of each conference directory as ``serve`` would; print a summary."""
    from controlroom.auth.accounts import AccountStore, check_account_sites
    from controlroom.config import load_conference

    for directory in args.config:
        config = load_conference(Path(directory))
        store = AccountStore(config.accounts_path)
        check_account_sites(store, (site.code for site in config.sites))
        print("\n".join(summary(config, store.all())))
    return 0


def add_parser(sub: Any) -> None:
    """Register ``check``."""
    check = add_command(
        sub,
        "check",
        "validate a conference directory and summarise it",
        "Check conference.toml, sites.csv (or .xlsx), agenda.csv (or .xlsx) and\n"
        "accounts.toml as serve does; print what they hold, or the first error\n"
        "(file, line and column) with exit status 2.",
    )
    check.add_argument(
        "--config", action="append", required=True, metavar="DIR", help="conference directory"
    )
    check.set_defaults(func=cmd_check)
