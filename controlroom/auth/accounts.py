"""Accounts of one conference in ``accounts.toml``: scrypt password hashes, roles, revocation.

File format (written by :class:`AccountStore`, readable by hand)::

    [accounts.site-hni]
    role = "site"
    site = "HNI"
    name = "Nguyễn Văn Hùng"
    password = "scrypt$16384$8$1$<salt b64>$<hash b64>"
    revoked = false
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit

from controlroom.config.errors import ConfigError
from controlroom.domain.model import ROLES

USERNAME = re.compile(r"[a-z0-9._-]{1,64}")
SITE_CODE = re.compile(r"[A-Z0-9_-]{1,16}")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SALT_BYTES, _HASH_BYTES = 16, 32
_RACY_NS = 2_000_000_000
_ACCOUNT_KEYS = {"role", "site", "name", "password", "revoked"}


@dataclass(frozen=True)
class Account:
    """One login: its role, its site for the ``site`` role, and its password hash."""

    username: str
    role: str
    site: str | None
    password_hash: str
    revoked: bool = False
    name: str = ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """Hash with scrypt (n=2**14, r=8, p=1, random 16-byte salt) as ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=_HASH_BYTES
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


@functools.cache
def dummy_hash() -> str:
    """A hash of no one's password, to check against when the name is no account."""
    return hash_password(secrets.token_hex(16))


def _hash_all(passwords: list[str]) -> list[str]:
    """Hash many passwords on a few threads (scrypt releases the GIL)."""
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(hash_password, passwords))


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the ``stored`` hash; False (never an error) if malformed."""
    try:
        scheme, n_text, r_text, p_text, salt_text, hash_text = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt = base64.b64decode(salt_text, validate=True)
        expected = base64.b64decode(hash_text, validate=True)
    except (ValueError, binascii.Error):
        return False
    # Bounds keep a forged file from making the hub spend unbounded memory or time.
    if scheme != "scrypt" or not (2 <= n <= 2**20 and n & (n - 1) == 0):
        return False
    if not (1 <= r <= 32 and 1 <= p <= 16 and salt and 16 <= len(expected) <= 64):
        return False
    try:
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=n,
            r=r,
            p=p,
            dklen=len(expected),
            maxmem=128 * r * n * p + 2**24,
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


HEADER = "controlroom accounts: passwords are scrypt hashes, never plain text."


def _entry(account: Account) -> dict[str, Any]:
    entry: dict[str, Any] = {"role": account.role}
    if account.site is not None:
        entry["site"] = account.site
    if account.name:
        entry["name"] = account.name
    entry["password"] = account.password_hash
    entry["revoked"] = account.revoked
    return entry


def render_accounts(accounts: Iterable[Account], previous: str = "") -> str:
    """The ``accounts.toml`` text for ``accounts``, keeping what a person wrote in ``previous``.

    Comments, blank lines and the order of the organiser's file survive; tables of
    accounts that changed are updated in place, new ones are appended, and tables of
    accounts no longer in ``accounts`` are removed.
    """
    doc = tomlkit.parse(previous) if previous.strip() else tomlkit.document()
    if not previous.strip():
        doc.add(tomlkit.comment(HEADER))
        doc.add(tomlkit.nl())
    if "accounts" not in doc:
        doc.add("accounts", tomlkit.table(is_super_table=True))
    table = doc["accounts"]
    assert isinstance(table, tomlkit.items.Table)
    wanted = {account.username: account for account in accounts}
    for username in [u for u in table if u not in wanted]:
        del table[username]
    for username, account in wanted.items():
        entry = _entry(account)
        current = table.get(username)
        if current is None:
            fresh = tomlkit.table()
            for key, value in entry.items():
                fresh.add(key, value)
            table.add(username, fresh)
            continue
        for key in [k for k in current if k not in entry]:
            del current[key]
        for key, value in entry.items():
            if current.get(key) != value:
                current[key] = value
    return tomlkit.dumps(doc)


def dump_accounts(accounts: Iterable[Account]) -> str:
    """The ``accounts.toml`` text for ``accounts`` alone (a new file)."""
    return render_accounts(accounts)


def _check(username: str, role: str, site: str | None) -> None:
    if not USERNAME.fullmatch(username):
        raise ValueError(f"{username!r} is not a username (1-64 of a-z 0-9 . _ -)")
    if role not in ROLES:
        raise ValueError(f"{role!r} is not a role ({', '.join(ROLES)})")
    if role == "site" and site is None:
        raise ValueError("a site account needs a site code")
    if role != "site" and site is not None:
        raise ValueError(f"only site accounts have a site (role {role!r})")
    if site is not None and not SITE_CODE.fullmatch(site):
        raise ValueError(f"{site!r} is not a site code")


def _parse(path: Path, data: dict[str, Any]) -> dict[str, Account]:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(path, message, column=key, label="key")

    for key in data:
        if key != "accounts":
            raise fail(key, "unknown key (expected [accounts.<username>] tables)")
    table = data.get("accounts", {})
    if not isinstance(table, dict):
        raise fail("accounts", "must be a table")
    accounts: dict[str, Account] = {}
    for username, entry in table.items():
        where = f"accounts.{username}"
        if not isinstance(entry, dict):
            raise fail(where, "must be a table")
        for key in entry:
            if key not in _ACCOUNT_KEYS:
                raise fail(
                    f"{where}.{key}", f"unknown key (known: {', '.join(sorted(_ACCOUNT_KEYS))})"
                )
        role, site, name = entry.get("role"), entry.get("site"), entry.get("name", "")
        password, revoked = entry.get("password"), entry.get("revoked", False)
        if not isinstance(password, str) or not password:
            raise fail(f"{where}.password", "missing password hash")
        if not isinstance(revoked, bool):
            raise fail(f"{where}.revoked", "must be true or false")
        if not isinstance(name, str) or not isinstance(role, str):
            raise fail(where, "role and name must be strings")
        if site is not None and not isinstance(site, str):
            raise fail(f"{where}.site", "must be a string")
        try:
            _check(username, role, site)
        except ValueError as exc:
            raise fail(where, str(exc)) from None
        accounts[username] = Account(username, role, site, password, revoked, name)
    return accounts


class AccountStore:
    """The accounts in one ``accounts.toml``; re-reads the file when it changes on disk.

    A missing file is an empty store; :meth:`add` creates it. Writes are atomic (temporary
    file in the same directory, then ``os.replace``), so a running hub never reads half a file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._raw = b""
        self._read_at = 0
        self._verified: set[tuple[str, bytes, str]] = set()
        self._reload()

    # -- reading -------------------------------------------------------------------------

    def _current_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _reload(self) -> None:
        with self._lock:
            stamp = self._current_stamp()
            # File times are coarse (a clock tick): a write within _RACY_NS of our last read
            # may not change the stamp, so such a "racy" file is compared by content too.
            racy = stamp is not None and self._read_at - stamp[0] < _RACY_NS
            if stamp == self._stamp and not racy:
                return
            if stamp is None:
                self._accounts, self._stamp, self._raw = {}, None, b""
                return
            try:
                raw = self.path.read_bytes()
                self._read_at = time.time_ns()
                if raw == self._raw and stamp == self._stamp:
                    return
                data = tomllib.loads(raw.decode("utf-8-sig"))
            except UnicodeDecodeError:
                raise ConfigError(self.path, "not UTF-8 text") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(self.path, f"not valid TOML: {exc}") from None
            self._accounts = _parse(self.path, data)
            self._stamp, self._raw = stamp, raw

    def get(self, username: str) -> Account | None:
        """The account named ``username`` (revoked ones included), or None."""
        self._reload()
        return self._accounts.get(username)

    def all(self) -> list[Account]:
        """Every account, in file order."""
        self._reload()
        return list(self._accounts.values())

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account when the password is right and it is not revoked, else None."""
        account = self.get(username)
        if account is None or account.revoked:
            return None
        key = (username, hashlib.sha256(password.encode("utf-8")).digest(), account.password_hash)
        if key in self._verified:
            return account
        if not verify_password(password, account.password_hash):
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified.add(key)
        return account

    def uses_password(self, password: str) -> list[str]:
        """Usernames (not revoked) whose password is ``password``, e.g. to warn about "demo"."""
        accounts = [a for a in self.all() if not a.revoked]
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            found = list(pool.map(lambda a: self.authenticate(a.username, password), accounts))
        return [account.username for account in found if account is not None]

    # -- writing -------------------------------------------------------------------------

    def _save(self, accounts: dict[str, Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                previous = self._raw.decode("utf-8-sig") if self._raw else ""
                handle.write(render_accounts(accounts.values(), previous))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                mode = self.path.stat().st_mode & 0o777
            except FileNotFoundError:
                mode = 0o600
            os.chmod(temp, mode)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._accounts, self._stamp = dict(accounts), self._current_stamp()
        self._raw, self._read_at = self.path.read_bytes(), time.time_ns()

    def add(
        self,
        username: str,
        role: str,
        site: str | None = None,
        password: str = "",
        name: str = "",
    ) -> Account:
        """Create an account; ValueError on a duplicate, bad name, role or site, empty password."""
        _check(username, role, site)
        if not password:
            raise ValueError("the password is empty")
        with self._lock:
            self._reload()
            if username in self._accounts:
                raise ValueError(f"account {username!r} already exists")
            account = Account(username, role, site, hash_password(password), False, name)
            self._save({**self._accounts, username: account})
        return account

    def add_many(self, accounts: Iterable[tuple[str, str, str | None, str, str]]) -> list[Account]:
        """Create several accounts ``(username, role, site, password, name)`` in one write.

        All or none: a duplicate or a bad entry raises ValueError before anything is written.
        """
        entries = list(accounts)
        seen: set[str] = set()
        for username, role, site, password, _name in entries:
            _check(username, role, site)
            if not password:
                raise ValueError(f"the password of {username!r} is empty")
            if username in seen:
                raise ValueError(f"account {username!r} appears twice")
            seen.add(username)
        hashes = _hash_all([password for _u, _r, _s, password, _n in entries])
        with self._lock:
            self._reload()
            taken = sorted(seen & self._accounts.keys())
            if taken:
                raise ValueError(f"account {taken[0]!r} already exists")
            created = [
                Account(username, role, site, digest, False, name)
                for (username, role, site, _p, name), digest in zip(entries, hashes, strict=True)
            ]
            self._save({**self._accounts, **{a.username: a for a in created}})
        return created

    def _update(self, username: str, **changes: Any) -> None:
        with self._lock:
            self._reload()
            account = self._accounts.get(username)
            if account is None:
                raise KeyError(f"no account {username!r}")
            self._save({**self._accounts, username: replace(account, **changes)})

    def set_password(self, username: str, password: str) -> None:
        """Give ``username`` a new password (KeyError when unknown, ValueError when empty)."""
        if not password:
            raise ValueError("the password is empty")
        self._update(username, password_hash=hash_password(password))

    def revoke(self, username: str) -> None:
        """Revoke ``username``: it can no longer log in (KeyError when unknown)."""
        self._update(username, revoked=True)


def check_account_sites(store: AccountStore, site_codes: Iterable[str]) -> None:
    """ConfigError naming the first site account whose site is not one of ``site_codes``."""
    known = set(site_codes)
    for account in store.all():
        if account.site is not None and account.site not in known:
            raise ConfigError(
                store.path,
                f"site {account.site!r} is not in the conference's sites",
                column=f"accounts.{account.username}.site",
                label="key",
            )
