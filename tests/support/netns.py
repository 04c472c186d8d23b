"""Two network namespaces joined by veth pairs, for tests of a real (impaired) link.

    root namespace (the hub, the test)  --veth--  crt-mid-PID (forwarder)  --veth--  crt-site-PID

Only private addresses on the veths made here are used: ``root_addr``/``mid_addr``
on the root<->mid pair (a /30 of 10.213.0.0/16 not already in use in the root
namespace, picked from the pid) and ``MID_SITE_ADDR``/``SITE_ADDR`` on the
mid<->site pair, which exists only inside the two namespaces. No namespace gets a
default route, and the middle one does not forward IP: what crosses it is relayed
in user space (tests/support/forwarder.py). Offloads (TSO/GSO/GRO) are turned off
on every veth with ``ethtool -K`` when ethtool is there, so the forwarder sees
segments as they are sent.

``Topology.create()`` raises ``Unavailable`` (with a reason to skip on) when this
machine cannot make namespaces; ``close()`` deletes everything it made. Leftovers of
dead test processes (same name prefix, pid no longer running) are deleted first.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

PREFIX = "crt"
TEST_RANGE = "10.213.0.0/16"
MID_SITE_ADDR = "10.213.255.1"
SITE_ADDR = "10.213.255.2"
_NETNS = re.compile(rf"^{PREFIX}-(?:site|mid)-(\d+)$")
_LINK = re.compile(rf"^{PREFIX}[rm](\d+)$")


class Unavailable(Exception):
    """Network namespaces cannot be made here; the message says why."""


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=20)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def delete_leftovers() -> list[str]:
    """Delete namespaces and root-side links of this prefix whose test process is gone."""
    deleted = []
    listing = _run("ip", "netns", "list", check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        m = _NETNS.match(name)
        if m and not _alive(int(m.group(1))):
            _run("ip", "netns", "del", name, check=False)
            deleted.append(name)
    links = _run("ip", "-o", "link", "show", check=False).stdout
    for line in links.splitlines():
        parts = line.split(":")
        if len(parts) < 2:
            continue
        name = parts[1].strip().split("@")[0]
        m = _LINK.match(name)
        if m and not _alive(int(m.group(1))):
            _run("ip", "link", "del", name, check=False)
            deleted.append(name)
    return deleted


def _free_root_subnet(pid: int) -> ipaddress.IPv4Network:
    """A /30 of 10.213.0.0/16 (not 10.213.255.0/24) with no address in the root namespace."""
    used = _run("ip", "-o", "-4", "addr", "show", check=False).stdout
    routes = _run("ip", "-4", "route", "show", check=False).stdout
    base = int(ipaddress.IPv4Address("10.213.0.0"))
    count = 255 * 64  # 10.213.0.0 .. 10.213.254.252
    for k in range(count):
        net = ipaddress.IPv4Network((base + 4 * ((pid + k) % count), 30))
        if str(net.network_address) not in routes and not any(
            str(a) in used for a in (net.network_address + 1, net.network_address + 2)
        ):
            return net
    raise Unavailable("no free /30 in 10.213.0.0/16")


@dataclass
class Topology:
    """root <-> mid <-> site, made by ``create`` and removed by ``close``."""

    pid: int = field(default_factory=os.getpid)
    root_addr: str = ""
    mid_addr: str = ""
    offloads: str = "not touched"
    made: list[str] = field(default_factory=list)

    @property
    def mid(self) -> str:
        return f"{PREFIX}-mid-{self.pid}"

    @property
    def site(self) -> str:
        return f"{PREFIX}-site-{self.pid}"

    @property
    def root_if(self) -> str:
        return f"{PREFIX}r{self.pid}"

    @property
    def mid_if(self) -> str:
        return f"{PREFIX}m{self.pid}"

    def exec_in(self, ns: str, *argv: str) -> list[str]:
        """The argv running ``argv`` inside namespace ``ns``."""
        return ["ip", "netns", "exec", ns, *argv]

    @classmethod
    def create(cls) -> Topology:
        """Make the namespaces and links, or raise ``Unavailable``."""
        if os.geteuid() != 0:
            raise Unavailable("network namespaces need root (ip netns add)")
        if shutil.which("ip") is None:
            raise Unavailable("the ip command (iproute2) is not installed")
        delete_leftovers()
        topo = cls()
        try:
            topo._create()
        except BaseException:
            topo.close()
            raise
        return topo

    def _create(self) -> None:
        # The test range must never reach the real network: addresses of live test
        # links are more specific and win; anything else in it (a late packet to a
        # namespace that is gone, an ICE check to an inner address) ends here.
        r = _run("ip", "route", "add", "blackhole", TEST_RANGE, "metric", "4294967294", check=False)
        if r.returncode != 0 and "File exists" not in r.stderr:
            raise Unavailable(f"ip route add blackhole failed: {r.stderr.strip()}")
        for ns in (self.mid, self.site):
            r = _run("ip", "netns", "add", ns, check=False)
            if r.returncode != 0:
                raise Unavailable(f"ip netns add failed: {r.stderr.strip() or r.returncode}")
            self.made.append(ns)
        # Both ends are made in the root namespace under names of this pid, then moved.
        r = _run(
            "ip", "link", "add", self.root_if, "type", "veth", "peer", "name", self.mid_if,
            check=False,
        )  # fmt: skip
        if r.returncode != 0:
            raise Unavailable(f"ip link add type veth failed: {r.stderr.strip() or r.returncode}")
        self.made.append(self.root_if)
        net = _free_root_subnet(self.pid)
        self.root_addr = str(net.network_address + 1)
        self.mid_addr = str(net.network_address + 2)
        mid, site = self.mid, self.site
        steps = [
            ("ip", "link", "set", self.mid_if, "netns", mid, "name", "to-root"),
            ("ip", "addr", "add", f"{self.root_addr}/30", "dev", self.root_if),
            ("ip", "link", "set", self.root_if, "up"),
            ("ip", "-n", mid, "addr", "add", f"{self.mid_addr}/30", "dev", "to-root"),
            ("ip", "-n", mid, "link", "set", "to-root", "up"),
            ("ip", "-n", mid, "link", "add", "to-site", "type", "veth", "peer", "name", "to-mid"),
            ("ip", "-n", mid, "link", "set", "to-mid", "netns", site),
            ("ip", "-n", mid, "addr", "add", f"{MID_SITE_ADDR}/30", "dev", "to-site"),
            ("ip", "-n", mid, "link", "set", "to-site", "up"),
            ("ip", "-n", site, "addr", "add", f"{SITE_ADDR}/30", "dev", "to-mid"),
            ("ip", "-n", site, "link", "set", "to-mid", "up"),
            ("ip", "-n", mid, "link", "set", "lo", "up"),
            ("ip", "-n", site, "link", "set", "lo", "up"),
        ]
        for step in steps:
            r = _run(*step, check=False)
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(step)}: {r.stderr.strip()}")
        self._offloads_off()

    def _offloads_off(self) -> None:
        if shutil.which("ethtool") is None:
            self.offloads = "left on: ethtool is not installed"
            return
        ends = [
            ([], self.root_if),
            (self.exec_in(self.mid), "to-root"),
            (self.exec_in(self.mid), "to-site"),
            (self.exec_in(self.site), "to-mid"),
        ]
        failed = []
        for prefix, dev in ends:
            cmd = [*prefix, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"]
            r = _run(*cmd, check=False)
            if r.returncode != 0:
                failed.append(f"{dev}: {r.stderr.strip() or r.returncode}")
        self.offloads = f"not all off ({'; '.join(failed)})" if failed else "tso/gso/gro off"

    def close(self) -> None:
        """Delete what was made (deleting a namespace destroys the veths in it)."""
        for name in reversed(self.made):
            if name.startswith(f"{PREFIX}-"):
                _run("ip", "netns", "del", name, check=False)
            else:
                _run("ip", "link", "del", name, check=False)
        self.made.clear()
