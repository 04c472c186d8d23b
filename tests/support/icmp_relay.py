"""A user-space ICMP echo impairer, run inside the middle namespace of tests/support/netns.py.

The kernel the tests run on has no ``netem``, and the middle namespace does not
forward IP: this relay answers echo requests sent to the middle namespace's own
address by asking the site namespace's (``SITE``), with a delay each way and a share
of requests dropped, so that a probe from the hub sees the impaired path to a real
host. The kernel of the middle namespace must not answer itself
(``net.ipv4.icmp_echo_ignore_all=1``).

    ip netns exec NS python tests/support/icmp_relay.py SITE [--seed N]

It prints ``ready`` and then obeys one command a line on stdin, answering ``ok``:

    delay MS     add MS ms in each direction (so MS*2 to the round trip)
    loss PCT     drop PCT % of the requests (seeded: the same run drops the same ones)
    quit         stop (so does stdin closing)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import sys

ECHO_REQUEST, ECHO_REPLY = 8, 0


class Relay:
    """Echo requests in, relayed to the site after the delay; replies back the same way."""

    def __init__(self, site: str, seed: int) -> None:
        self.site = site
        self.delay_s = 0.0
        self.loss = 0.0
        self.random = random.Random(seed)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.setblocking(False)
        self.asked: dict[tuple[int, int], str] = {}  # (ident, seq) -> who asked
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.sock.fileno(), self._readable)

    def _later(self, packet: bytes, to: str) -> None:
        def send() -> None:
            try:
                self.sock.sendto(packet, (to, 0))
            except OSError:
                pass  # the site's link is down: the probe gets no answer, as it should

        if self.delay_s > 0:
            self.loop.call_later(self.delay_s, send)
        else:
            send()

    def _readable(self) -> None:
        while True:
            try:
                packet, (source, _) = self.sock.recvfrom(2048)
            except BlockingIOError:
                return
            icmp = packet[(packet[0] & 0x0F) * 4 :]
            if len(icmp) < 8:
                continue
            kind = icmp[0]
            key = (int.from_bytes(icmp[4:6], "big"), int.from_bytes(icmp[6:8], "big"))
            if kind == ECHO_REQUEST and source != self.site:
                if self.random.random() * 100 < self.loss:
                    continue
                self.asked[key] = source
                if len(self.asked) > 65536:
                    self.asked.pop(next(iter(self.asked)))
                self._later(icmp, self.site)
            elif kind == ECHO_REPLY and source == self.site:
                asker = self.asked.pop(key, None)
                if asker is not None:
                    self._later(icmp, asker)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    relay = Relay(args.site, args.seed)
    print("ready", flush=True)
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while line := (await reader.readline()).decode().split():
        if line[0] == "delay":
            relay.delay_s = float(line[1]) / 1000
        elif line[0] == "loss":
            relay.loss = float(line[1])
        elif line[0] == "quit":
            break
        print("ok", *line, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
