"""What to probe: ``icmp:HOST`` (the default kind), ``tcp:HOST:PORT`` or a bare ``HOST``."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# A host name as DNS allows it (RFC 1123 labels), or an IPv4/IPv6 literal.
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
KINDS = ("icmp", "tcp")


class BadTarget(ValueError):
    """The text is not a probe target; the message says why, in English."""


@dataclass(frozen=True, slots=True)
class Target:
    """One endpoint to probe."""

    kind: str  # "icmp" | "tcp"
    host: str
    port: int | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp:{host}:{self.port}" if self.kind == "tcp" else f"icmp:{self.host}"


def _host(text: str) -> str:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text.rstrip(".")
    if not name or len(name) > 253 or not all(_LABEL.match(p) for p in name.split(".")):
        raise BadTarget(f"{text!r} is neither an IP address nor a host name")
    return name.lower()


def parse_target(text: str) -> Target:
    """Parse ``icmp:HOST``, ``tcp:HOST:PORT`` or ``HOST`` (ICMP); raise :class:`BadTarget`."""
    text = text.strip()
    kind, sep, rest = text.partition(":")
    if sep and kind.lower() in KINDS:
        kind = kind.lower()
    else:  # a bare host (an IPv6 literal has colons of its own)
        kind, rest = "icmp", text
    if kind == "icmp":
        return Target("icmp", _host(rest))
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadTarget(f"{text!r}: a TCP probe needs tcp:HOST:PORT with a port of 1-65535")
    return Target("tcp", _host(host), int(port))
