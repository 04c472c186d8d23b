"""The servers under test, started as pinned processes: the hub and two reference relays.

- ``hub``: ``controlroom serve`` on a generated conference of N sites (``S0001``..)
  plus the central ``TW``, a fresh data directory, an ephemeral port on 127.0.0.1.
  Every account shares one scrypt hash, and the token secret is written into the
  data directory before the hub starts, so the generator mints the bearer tokens
  itself (``TokenSigner``, exactly what ``POST /api/login`` returns after its scrypt
  check): thousands of sessions without thousands of 50-100 ms logins. One real
  login is still made against every hub, to prove the minted tokens are the real ones.
- ``relay``: ``bench/relay_server.py``, a bare ``websockets`` relay (no auth, no log).
- ``socketio``: ``bench/socketio_relay.py``, a python-socketio relay on uvicorn.

Every server runs pinned to the first CPU with its file-descriptor limit raised to
the hard limit (5,000 sessions need 5,000 sockets on each side).
"""

from __future__ import annotations

import contextlib
import csv
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import DEMO_CONFIG, ROOT, free_port

BENCH_DIR = Path(__file__).resolve().parent
CONFERENCE = "demo"
PASSWORD = "bench-links"
CENTRAL = "TW"
START_TIMEOUT_S = 60.0
KINDS = ("hub", "relay", "socketio")


def raise_nofile() -> int:
    """Raise this process's open-file limit to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    """Resident set size of process ``pid`` in KiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def site_code(i: int) -> str:
    """The code of simulated site ``i`` (1-based): ``S0001``, ``S0002``, ..."""
    return f"S{i:04d}"


def site_user(code: str) -> str:
    """The account name of the site with ``code``."""
    return f"site-{code.lower()}"


def write_conference(directory: Path, sites: int) -> str:
    """Write a conference of ``sites`` simulated sites + the central one; its shared hash.

    ``conference.toml`` is the demo's unchanged (heartbeat 2 s, default thresholds);
    the demo's ``agenda.csv`` names demo sites, so a minimal two-row agenda replaces
    it when it does not load. Accounts: ``operator`` plus one ``site`` account per site.
    """
    from controlroom.auth.accounts import Account, dump_accounts, hash_password
    from controlroom.config import load_conference
    from controlroom.config.errors import ConfigError

    directory.mkdir(parents=True)
    shutil.copyfile(DEMO_CONFIG / "conference.toml", directory / "conference.toml")
    with (directory / "sites.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "name", "kind", "region", "technician", "phone"])
        out.writerow([CENTRAL, "Điểm cầu Trung ương", "central", "", "", ""])
        for i in range(1, sites + 1):
            out.writerow([site_code(i), f"Điểm cầu mô phỏng {i}", "site", "", "", ""])
    shutil.copyfile(DEMO_CONFIG / "agenda.csv", directory / "agenda.csv")
    try:
        load_conference(directory)
    except ConfigError:
        (directory / "agenda.csv").write_text(
            "time,content,presenter,site\n"
            "08:00 - 08:30,Khai mạc,Ban Tổ chức,\n"
            "08:30 - 09:00,Bế mạc,Ban Tổ chức,\n",
            encoding="utf-8",
        )
        load_conference(directory)
    shared = hash_password(PASSWORD)
    accounts = [Account("operator", "operator", None, shared, False, "Bench operator")]
    accounts += [
        Account(site_user(site_code(i)), "site", site_code(i), shared, False, f"Site {i}")
        for i in range(1, sites + 1)
    ]
    (directory / "accounts.toml").write_text(dump_accounts(accounts), encoding="utf-8")
    return shared


def mint_tokens(data_dir: Path, usernames: list[str], password_hash: str) -> dict[str, str]:
    """Bearer tokens for ``usernames``, signed with the secret the hub will load
    (``<conference>~<signed>``, as ``Authenticator.login`` issues them)."""
    from controlroom.auth.tokens import TokenSigner, load_secret

    signer = TokenSigner(load_secret(data_dir))
    now = int(time.time())
    return {
        name: f"{CONFERENCE}~{signer.issue(name, password_hash, now, CONFERENCE)}"
        for name in usernames
    }


@dataclass
class Server:
    """A server process under test, how to reach it, and what a client needs to log in."""

    kind: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    site_tokens: list[str | None] = field(default_factory=list)
    console_token: str | None = None

    @property
    def pid(self) -> int:
        """The server's process id (CPU and memory are read from ``/proc``)."""
        return self.proc.pid

    @property
    def http_url(self) -> str:
        """Base URL of the HTTP side."""
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, role: str) -> str:
        """Where a ``site`` or ``console`` session connects."""
        if self.kind == "hub":
            return f"ws://127.0.0.1:{self.port}/ws"
        if self.kind == "relay":
            return f"ws://127.0.0.1:{self.port}/{role}"
        return f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket&role={role}"

    def spec(self) -> dict[str, object]:
        """What the generator process needs (picklable)."""
        return {
            "kind": self.kind,
            "pid": self.pid,
            "http": self.http_url,
            "site_url": self.ws_url("site"),
            "console_url": self.ws_url("console"),
            "site_tokens": self.site_tokens,
            "console_token": self.console_token,
        }

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output (for error messages)."""
        return log_tail(self.log_path, lines)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` of a process's log file ("" when it cannot be read)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _spawn(cmd: list[str], log_path: Path, cpus: set[int] | None) -> subprocess.Popen[bytes]:
    def prepare() -> None:  # in the child before exec: inherited by every thread and by exec
        if cpus:
            os.sched_setaffinity(0, cpus)
        raise_nofile()

    with log_path.open("ab") as log:
        return subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT,
            preexec_fn=prepare,
        )  # fmt: skip


def controlroom_exe() -> str:
    """The installed ``controlroom`` command beside this interpreter."""
    beside = Path(sys.executable).parent / "controlroom"
    found = str(beside) if beside.exists() else shutil.which("controlroom")
    if not found:
        raise SystemExit("the `controlroom` command is not installed (pip install -e .)")
    return found


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` (kill it if it does not stop within 15 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_ready(server: Server, http_path: str | None) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.kind} exited:\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError, OSError):
            if http_path is None:
                with contextlib.closing(__import__("socket").create_connection(
                    ("127.0.0.1", server.port), timeout=1
                )):  # fmt: skip
                    return
            elif httpx.get(server.http_url + http_path, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{server.kind} did not become ready:\n{server.log_tail()}")


@contextlib.contextmanager
def start_server(
    kind: str, workdir: Path, sites: int, cpus: set[int] | None, heartbeat_s: float = 2.0
) -> Iterator[Server]:
    """Start one server of ``kind`` for ``sites`` site sessions; stop it on exit."""
    port = free_port()
    log_path = workdir / f"{kind}-{port}.log"
    site_tokens: list[str | None] = [None] * sites
    console_token: str | None = None
    if kind == "hub":
        config, data = workdir / f"conf-{port}", workdir / f"data-{port}"
        shared = write_conference(config, sites)
        users = ["operator", *(site_user(site_code(i)) for i in range(1, sites + 1))]
        tokens = mint_tokens(data, users, shared)
        console_token = tokens["operator"]
        site_tokens = [tokens[u] for u in users[1:]]
        cmd = [
            controlroom_exe(), "serve", "--config", str(config), "--data", str(data),
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        ready: str | None = "/healthz"
    elif kind == "relay":
        cmd = [sys.executable, str(BENCH_DIR / "relay_server.py"), "--port", str(port)]
        cmd += ["--heartbeat", str(heartbeat_s)]
        ready = None
    elif kind == "socketio":
        cmd = [sys.executable, str(BENCH_DIR / "socketio_relay.py"), "--port", str(port)]
        cmd += ["--heartbeat", str(heartbeat_s)]
        ready = None
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    proc = _spawn(cmd, log_path, cpus)
    server = Server(kind, proc, port, log_path, site_tokens, console_token)
    try:
        _wait_ready(server, ready)
        if kind == "hub":
            _check_real_login(server)
        yield server
    finally:
        stop(proc)


def _check_real_login(server: Server) -> None:
    """One real ``POST /api/login`` (scrypt): its token must work like the minted ones."""
    import httpx

    r = httpx.post(
        server.http_url + "/api/login",
        json={"username": "operator", "password": PASSWORD},
        timeout=30,
    )
    r.raise_for_status()
    token = r.json()["token"]
    events = httpx.get(
        f"{server.http_url}/api/conferences/{CONFERENCE}/events?after=0",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    minted = httpx.get(
        f"{server.http_url}/api/conferences/{CONFERENCE}/events?after=0",
        headers={"Authorization": f"Bearer {server.console_token}"},
        timeout=10,
    )
    if events.status_code != 200 or minted.status_code != 200:
        raise RuntimeError(f"token check failed: login {events.status_code}, minted {minted}")
