"""Login throttling: failed passwords are limited per account name and per address.

Only failures spend: a technician who types the right password logs in however
often, while guessing is slowed to ``rate`` tries a second after a ``burst``. Both
limits apply to every attempt once spent, right password or not, so a guesser
cannot use a good login to refill them. Names that are not accounts are limited
exactly like real ones (the answer must not tell which names exist).
"""

from __future__ import annotations

from dataclasses import dataclass

from signaling.ratelimit import KeyedBuckets


@dataclass(frozen=True)
class ThrottleSettings:
    """How many failed logins are allowed, and how fast they come back."""

    per_account_burst: float = 10
    per_account_rate: float = 1 / 6  # one more try every 6 s
    per_address_burst: float = 50
    per_address_rate: float = 1.0


class LoginThrottle:
    """Remembers failed logins; says whether another attempt may be checked now."""

    def __init__(self, settings: ThrottleSettings | None = None) -> None:
        s = settings or ThrottleSettings()
        self.accounts = KeyedBuckets(s.per_account_rate, s.per_account_burst)
        self.addresses = KeyedBuckets(s.per_address_rate, s.per_address_burst)
        self.refused = 0

    def may_try(self, username: str, address: str, now: float) -> bool:
        """True when neither the name nor the address has spent its failures."""
        ok = self.accounts.peek(username, now) and self.addresses.peek(address, now)
        if not ok:
            self.refused += 1
        return ok

    def failed(self, username: str, address: str, now: float) -> None:
        """Spend one failure of the name and of the address."""
        self.accounts.allow(username, now)
        self.addresses.allow(address, now)
