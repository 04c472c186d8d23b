"""Bearer tokens: what a remembered (already verified) token still has to pass on every use."""

from __future__ import annotations

from pathlib import Path

from controlroom.auth.accounts import AccountStore
from controlroom.auth.tokens import TokenSigner
from controlroom.service.sessions import Authenticator


class Clock:
    now = 1_800_000_000

    def __call__(self) -> int:
        return self.now


def make(tmp_path: Path) -> tuple[Authenticator, AccountStore, Clock]:
    store = AccountStore(tmp_path / "accounts.toml")
    store.add("operator", "operator", password="pw-operator")
    store.add("site-hni", "site", site="HNI", password="pw-site")
    clock = Clock()
    auth = Authenticator(TokenSigner(b"k" * 32, ttl_s=3600), {"demo": store}, clock)
    return auth, store, clock


def login(auth: Authenticator, username: str, password: str) -> str:
    issued = auth.login(username, password)
    assert issued is not None
    return issued[0]


def test_a_token_is_accepted_until_it_expires_also_when_remembered(tmp_path: Path) -> None:
    auth, _, clock = make(tmp_path)
    token = login(auth, "operator", "pw-operator")
    first = auth.principal(token)
    assert first is not None and first.actor.role == "operator" and first.conference == "demo"
    clock.now += 3600
    assert auth.principal(token) is not None  # the last second of its life
    clock.now += 1
    assert auth.principal(token) is None
    assert auth.principal(token) is None


def test_revocation_and_a_new_password_void_a_remembered_token(tmp_path: Path) -> None:
    auth, store, _ = make(tmp_path)
    operator = login(auth, "operator", "pw-operator")
    site = login(auth, "site-hni", "pw-site")
    assert auth.principal(operator) is not None and auth.principal(site) is not None
    store.revoke("operator")
    store.set_password("site-hni", "new-pw")
    assert auth.principal(operator) is None
    assert auth.principal(site) is None
    assert auth.principal(login(auth, "site-hni", "new-pw")) is not None


def test_a_forged_or_foreign_token_is_refused(tmp_path: Path) -> None:
    auth, _, _ = make(tmp_path)
    token = login(auth, "operator", "pw-operator")
    assert auth.principal(token) is not None
    conference, _, signed = token.partition("~")
    body, sig = signed.split(".")
    assert auth.principal(f"{conference}~{body}.{sig[:-2]}xx") is None
    assert auth.principal(f"other~{signed}") is None
    other = Authenticator(TokenSigner(b"z" * 32), auth.accounts)
    assert other.principal(token) is None
    assert auth.principal(None) is None and auth.principal("no-tilde") is None
