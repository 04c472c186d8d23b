"""``controlroom accounts``: add, import, change, revoke and list a conference's accounts.

``accounts.toml`` keeps the organiser's comments and order (it is rewritten with
tomlkit, table by table). Site accounts must name a site of the conference's
``sites.csv``. ``accounts import`` creates one account per site that has none and
writes the only copy of their passwords to a sheet for the organiser to hand out.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from controlroom.cli.errors import CliError, add_command
from controlroom.config.errors import ConfigError

#: No 0/O, 1/l/I: the sheet is read aloud over the phone and typed on a phone.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 12
MIN_PASSWORD = 4


def new_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password of unambiguous letters and digits."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def _read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_file", None):
        try:
            return Path(args.password_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read the password file {args.password_file}: {exc}") from None
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CliError("the two passwords differ")
    return first


def _sites(config: Path) -> dict[str, Any]:
    """The conference's sites by code (sites.csv or sites.xlsx must load)."""
    from controlroom.config.loader import SITES_STEM
    from controlroom.config.sites import load_sites
    from controlroom.config.text import table_file

    return {site.code: site for site in load_sites(table_file(config, SITES_STEM))}


def _store(args: argparse.Namespace) -> Any:
    from controlroom.auth.accounts import AccountStore

    config = Path(args.config)
    if not config.is_dir():
        raise ConfigError(config, "conference directory not found")
    return AccountStore(config / "accounts.toml")


def cmd_accounts(args: argparse.Namespace) -> int:
    """Add, import, change, revoke or list accounts in a conference's accounts.toml."""
    store = _store(args)
    try:
        if args.action == "list":
            for a in store.all():
                state = "revoked" if a.revoked else "active"
                print(f"{a.username}\t{a.role}\t{a.site or '-'}\t{state}\t{a.name}")
        elif args.action == "add":
            site = args.site.upper() if args.site else None
            if site is not None and site not in _sites(Path(args.config)):
                raise CliError(f"site {site!r} is not in {Path(args.config) / 'sites.csv'}")
            password = _read_password(args)
            if len(password) < MIN_PASSWORD:
                raise CliError(f"password too short (at least {MIN_PASSWORD} characters)")
            store.add(args.username, args.role, site, password, args.name or "")
            print(f"added {args.username} ({args.role})")
        elif args.action == "import":
            return _import(args, store)
        elif store.get(args.username) is None:
            raise CliError(f"no account {args.username!r}")
        elif args.action == "passwd":
            password = _read_password(args)
            if len(password) < MIN_PASSWORD:
                raise CliError(f"password too short (at least {MIN_PASSWORD} characters)")
            store.set_password(args.username, password)
            print(f"password of {args.username} changed; its old tokens no longer work")
        elif args.action == "revoke":
            store.revoke(args.username)
            print(f"{args.username} revoked; its sessions are refused from now on")
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc.args[0] if exc.args else exc)) from None
    return 0


def _import(args: argparse.Namespace, store: Any) -> int:
    sites = _sites(Path(args.config))
    wanted = [code.strip().upper() for code in args.sites.split(",")] if args.sites else None
    unknown = [code for code in wanted or () if code not in sites]
    if unknown:
        raise CliError(f"site {unknown[0]!r} is not in {Path(args.config) / 'sites.csv'}")
    have = {a.site for a in store.all() if a.site is not None}
    taken = {a.username for a in store.all()}
    chosen = [
        site
        for code, site in sites.items()
        if (wanted is None or code in wanted) and code not in have and site.kind == "site"
    ]
    sheet = Path(args.sheet)
    if sheet.exists():
        raise CliError(f"{sheet} exists already; the sheet is written once, to a new file")
    if not chosen:
        print("every site has an account already; nothing to do")
        return 0
    entries = []
    for site in chosen:
        username = f"{args.prefix}{site.code.lower()}"
        if username in taken:
            raise CliError(f"account {username!r} exists but is not for site {site.code}")
        entries.append((username, "site", site.code, new_password(), site.technician or ""))
    _write_sheet(sheet, sites, entries)
    try:
        store.add_many(entries)
    except BaseException:
        sheet.unlink(missing_ok=True)  # no sheet of passwords that do not exist
        raise
    print(f"created {len(entries)} site accounts; their passwords are only in {sheet}")
    return 0


def _write_sheet(sheet: Path, sites: dict[str, Any], entries: list[tuple[Any, ...]]) -> None:
    """The password sheet (CSV, UTF-8 with BOM for spreadsheets), readable by its owner only."""
    from controlroom.csv_safety import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Mã", "Tên điểm cầu", "Tài khoản", "Mật khẩu", "Kỹ thuật viên", "Điện thoại"])
    for username, _role, code, password, _name in entries:
        site = sites[code]
        row = [code, site.name, username, password, site.technician or "", site.phone or ""]
        writer.writerow([safe_cell(cell) for cell in row])
    try:
        fd = os.open(sheet, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise CliError(f"cannot write {sheet}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(out.getvalue())


def add_parser(sub: Any) -> None:
    """Register ``accounts`` and its actions."""
    acc = add_command(
        sub,
        "accounts",
        "manage the accounts of a conference",
        "Add, import, change, revoke and list the accounts in a conference's accounts.toml.\n"
        "Comments in the file are kept. Site accounts must name a site of sites.csv.",
    )
    actions = acc.add_subparsers(dest="action", required=True, metavar="ACTION")
    summaries = {
        "add": "add one account",
        "import": "create an account for every site that has none, with a password sheet",
        "passwd": "change a password (its old tokens stop working at once)",
        "revoke": "revoke an account (the running hub refuses it at once)",
        "list": "list the accounts",
    }
    for action, summary in summaries.items():
        p = add_command(actions, action, summary)
        p.add_argument("--config", required=True, metavar="DIR", help="conference directory")
        if action in ("add", "passwd", "revoke"):
            p.add_argument("username", help="account name (a-z 0-9 . _ -)")
        if action in ("add", "passwd"):
            p.add_argument(
                "--password-file",
                metavar="FILE",
                help="read the password from this file (else standard input or a prompt)",
            )
        if action == "add":
            p.add_argument(
                "--role",
                required=True,
                choices=["admin", "operator", "assistant", "chair", "site"],
                help="what the account may do",
            )
            p.add_argument("--site", default=None, help="site code (for --role site)")
            p.add_argument("--name", default="", help="the person's name, shown on the consoles")
        if action == "import":
            p.add_argument(
                "--sheet",
                required=True,
                metavar="FILE",
                help="new CSV file for the passwords (the only copy; hand it out, then delete it)",
            )
            p.add_argument(
                "--sites", default=None, metavar="CODES", help="only these sites, e.g. HNI,HUE"
            )
            p.add_argument("--prefix", default="site-", help="account name before the site code")
    acc.set_defaults(func=cmd_accounts)
