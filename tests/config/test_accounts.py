"""accounts.toml: scrypt hashing, the store, revocation seen by another process, atomic save."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from controlroom.auth.accounts import (
    Account,
    AccountStore,
    dump_accounts,
    hash_password,
    verify_password,
)
from controlroom.config import ConfigError


def test_hash_format_and_round_trip() -> None:
    """hash_password gives scrypt$16384$8$1$salt$hash and verify_password accepts it."""
    stored = hash_password("mật khẩu")
    parts = stored.split("$")
    assert parts[:4] == ["scrypt", "16384", "8", "1"] and len(parts) == 6
    assert verify_password("mật khẩu", stored)
    assert hash_password("mật khẩu") != stored  # random salt


def test_wrong_password_is_false() -> None:
    """A wrong password, even one character off, does not verify."""
    stored = hash_password("demo")
    assert not verify_password("dem0", stored)
    assert not verify_password("", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "demo",
        "bcrypt$1$2$3$4$5",
        "scrypt$16384$8$1$!!!$abc",
        "scrypt$3$8$1$AAAA$AAAA",
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ],
)
def test_malformed_hash_is_false(stored: str) -> None:
    """Malformed or absurd stored hashes give False instead of raising."""
    assert verify_password("demo", stored) is False


def test_add_get_authenticate(tmp_path: Path) -> None:
    """An added account is stored hashed, found by get, and authenticates only with its password."""
    store = AccountStore(tmp_path / "accounts.toml")
    account = store.add("site-hni", "site", "HNI", password="s3cret", name="Trần Văn B")
    assert account.password_hash.startswith("scrypt$")
    assert "s3cret" not in (tmp_path / "accounts.toml").read_text(encoding="utf-8")
    assert store.get("site-hni") == account
    assert store.authenticate("site-hni", "s3cret") == account
    assert store.authenticate("site-hni", "wrong") is None
    assert store.authenticate("nobody", "s3cret") is None


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("Admin", "admin"), {}),
        (("x", "superuser"), {}),
        (("x", "site"), {}),
        (("x", "operator", "TW"), {}),
        (("x", "site", "ha noi"), {}),
        (("x", "admin"), {"password": ""}),
    ],
)
def test_add_rejects_invalid(tmp_path: Path, args: tuple, kwargs: dict) -> None:
    """Bad username, unknown role, site role without site, site on another role, empty password."""
    store = AccountStore(tmp_path / "accounts.toml")
    with pytest.raises(ValueError):
        store.add(*args, **{"password": "p", **kwargs})


def test_add_rejects_duplicate(tmp_path: Path) -> None:
    """Adding an existing username is a ValueError."""
    store = AccountStore(tmp_path / "accounts.toml")
    store.add("admin", "admin", password="p")
    with pytest.raises(ValueError, match="already exists"):
        store.add("admin", "operator", password="q")


def test_revoke_seen_by_a_second_store(tmp_path: Path) -> None:
    """Revoking through one store makes authenticate None in another store on the same file."""
    path = tmp_path / "accounts.toml"
    hub = AccountStore(path)
    AccountStore(path).add("operator", "operator", password="demo")
    assert hub.authenticate("operator", "demo") is not None  # hub saw the new file
    assert hub.authenticate("operator", "demo") is not None  # cached, still fine
    AccountStore(path).revoke("operator")  # as the CLI would, in another process
    assert hub.authenticate("operator", "demo") is None
    assert hub.get("operator") is not None and hub.get("operator").revoked  # type: ignore[union-attr]


def test_set_password_invalidates_cache(tmp_path: Path) -> None:
    """After set_password (by another store) the old password no longer works in the hub."""
    path = tmp_path / "accounts.toml"
    hub = AccountStore(path)
    AccountStore(path).add("chair", "chair", password="old")
    assert hub.authenticate("chair", "old") is not None
    AccountStore(path).set_password("chair", "new")
    assert hub.authenticate("chair", "old") is None
    assert hub.authenticate("chair", "new") is not None


def test_successful_login_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repeated successful login does not run scrypt again."""
    import controlroom.auth.accounts as accounts

    store = AccountStore(tmp_path / "accounts.toml")
    store.add("admin", "admin", password="demo")
    assert store.authenticate("admin", "demo") is not None
    calls: list[tuple[str, str]] = []

    def counting(password: str, stored: str) -> bool:
        calls.append((password, stored))
        return False

    monkeypatch.setattr(accounts, "verify_password", counting)
    assert store.authenticate("admin", "demo") is not None
    assert calls == []
    assert store.authenticate("admin", "other") is None
    assert len(calls) == 1


def test_uses_password(tmp_path: Path) -> None:
    """uses_password lists the (not revoked) accounts whose password is the given one."""
    store = AccountStore(tmp_path / "accounts.toml")
    store.add("admin", "admin", password="demo")
    store.add("operator", "operator", password="strong-one")
    store.add("chair", "chair", password="demo")
    store.revoke("chair")
    assert store.uses_password("demo") == ["admin"]


def test_atomic_save_leaves_no_temp_and_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving replaces the file whole; a failed write keeps the old file and no temp file."""
    path = tmp_path / "accounts.toml"
    store = AccountStore(path)
    store.add("admin", "admin", password="demo")
    before = path.read_bytes()
    inode = path.stat().st_ino
    store.add("operator", "operator", password="demo")
    assert path.stat().st_ino != inode  # os.replace put a new file in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.toml"]

    def broken(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        store.add("chair", "chair", password="demo")
    assert path.read_bytes() != before  # still the two-account file
    assert [a.username for a in AccountStore(path).all()] == ["admin", "operator"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.toml"]


def test_writer_escapes_strings(tmp_path: Path) -> None:
    """Names with quotes, backslashes, newlines, control chars and dotted usernames round-trip."""
    tricky = 'Đ/c "Ba" \\ C\nD\tE\x01\x7f ô'
    accounts = [Account("a.b", "site", "HNI", "scrypt$x", True, tricky)]
    text = dump_accounts(accounts)
    data = tomllib.loads(text)
    assert data["accounts"]["a.b"] == {
        "role": "site",
        "site": "HNI",
        "name": tricky,
        "password": "scrypt$x",
        "revoked": True,
    }
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    assert AccountStore(path).all() == accounts


def test_missing_file_is_empty(tmp_path: Path) -> None:
    """A store on a missing file has no accounts and authenticates nobody."""
    store = AccountStore(tmp_path / "none.toml")
    assert store.all() == [] and store.authenticate("admin", "demo") is None


def test_bad_accounts_file(tmp_path: Path) -> None:
    """Unknown keys or bad roles in accounts.toml are ConfigErrors naming the key."""
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.admin]\nrole = "admin"\npassword = "x"\ncolour = 1\n', "utf-8")
    with pytest.raises(ConfigError) as info:
        AccountStore(path)
    assert info.value.column == "accounts.admin.colour"
    path.write_text('[accounts.admin]\nrole = "god"\npassword = "x"\n', "utf-8")
    with pytest.raises(ConfigError, match="not a role"):
        AccountStore(path)
