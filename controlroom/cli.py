"""The ``controlroom`` command: serve, demo, accounts, audit.

Every failure a person can cause (a missing or broken config, a port in use, a
data directory that cannot be written, a wrong account name) ends with one clear
line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import getpass
import ipaddress
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any

from controlroom.config import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = REPO_ROOT / "config" / "demo"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "controlroom"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CliError(f"data directory {data_dir} cannot be written: {exc.strerror}") from None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on {host} is already in use (try --port)") from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_server(
    args: argparse.Namespace,
    config_dirs: list[Path],
    data_dir: Path,
    banner: str = "",
    simulate: list[tuple[str, str]] | None = None,
) -> int:
    import uvicorn

    from controlroom.app import Options, build_runtime, create_app, server_config

    _check_writable(data_dir)
    options = Options(
        config_dirs=config_dirs,
        data_dir=data_dir,
        heartbeat_s=args.heartbeat_s,
        allowed_origins=tuple(args.allow_origin or ()),
        redis_url=getattr(args, "redis", None),
    )
    runtime = build_runtime(options)
    if not _is_loopback(args.host):
        for conference, accounts in runtime.accounts.items():
            weak = accounts.uses_password("demo")
            if weak:
                print(
                    "\n"
                    + "!" * 72
                    + f"\n!! WARNING: {len(weak)} account(s) of conference {conference!r}"
                    " still use the\n"
                    f"!! demo password, and the hub listens on {args.host}, not loopback.\n"
                    "!! Change them: controlroom accounts passwd USER --config DIR\n"
                    + "!" * 72
                    + "\n",
                    file=sys.stderr,
                )
    sock = _bind(args.host, args.port)
    app = create_app(runtime)
    config = server_config(app, args.host, args.port, log_level=args.log_level)
    server = uvicorn.Server(config)
    if banner:
        print(banner, flush=True)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve(server, sock, runtime, args, simulate))
    return 0


def _loop_factory() -> Any:
    """uvloop's event loop when installed (uvicorn[standard] brings it), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(
    server: Any, sock: socket.socket, runtime: Any, args: argparse.Namespace, simulate: Any
) -> None:
    """Run uvicorn; for the demo, also the simulated sites once the hub is up."""
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    sim: asyncio.Task[None] | None = None
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if simulate and server.started:
            from controlroom.agent.simulator import simulate as run_sites

            await _demo_opening(runtime)
            host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
            sim = asyncio.create_task(run_sites(f"http://{host}:{args.port}", simulate))
        await serving
    finally:
        if sim is not None:
            sim.cancel()
            with contextlib.suppress(BaseException):
                await sim


async def _demo_opening(runtime: Any) -> None:
    """Open the demo conference: live, first run-script item on air (once)."""
    from controlroom.domain import Actor

    admin = Actor("admin", "admin", None)
    for hub in runtime.hubs.values():
        if hub.durable.conference.phase == "planned":
            await hub.execute(admin, "demo-opening-live", "conference.phase", {"phase": "live"})
            await hub.execute(admin, "demo-opening-agenda", "agenda.advance", {})


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the given conference directories."""
    return _run_server(args, [Path(d) for d in args.config], Path(args.data))


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the demo conference with demo accounts (password ``demo``)."""
    data_dir = Path(args.data) if args.data else _state_dir() / "demo"
    from controlroom.auth.accounts import AccountStore

    accounts = AccountStore(DEMO_CONFIG / "accounts.toml").all()
    roles = [a.username for a in accounts if a.role != "site"]
    sites = [a.username for a in accounts if a.role == "site"]
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    banner = (
        f"\ncontrolroom demo: {url}\n"
        f"  data: {data_dir}\n"
        f"  accounts (password 'demo' for every one): {', '.join(roles)}\n"
        f"  site accounts: {', '.join(sites[:6])} ... ({len(sites)} in all, site-<code>)\n"
    )
    count = len(sites) if args.simulate is None else max(0, min(args.simulate, len(sites)))
    simulated = [(a.username, a.site) for a in accounts if a.role == "site" and a.site][:count]
    if simulated:
        banner += f"  simulated sites: {len(simulated)} (--simulate 0 turns them off)\n"
    return _run_server(args, [DEMO_CONFIG], data_dir, banner, simulated)


def _read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_file", None):
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CliError("the two passwords differ")
    return first


def cmd_accounts(args: argparse.Namespace) -> int:
    """Add, change or revoke accounts in a conference's accounts.toml."""
    from controlroom.auth.accounts import AccountStore

    path = Path(args.config) / "accounts.toml"
    store = AccountStore(path)
    try:
        if args.action == "list":
            for a in store.all():
                state = "revoked" if a.revoked else "active"
                print(f"{a.username}\t{a.role}\t{a.site or '-'}\t{state}\t{a.name}")
            return 0
        if args.action == "add":
            password = _read_password(args)
            if len(password) < 4:
                raise CliError("password too short (at least 4 characters)")
            store.add(args.username, args.role, args.site, password, args.name or "")
            print(f"added {args.username} ({args.role})")
        elif args.action == "passwd":
            if store.get(args.username) is None:
                raise CliError(f"no account {args.username!r}")
            store.set_password(args.username, _read_password(args))
            print(f"password of {args.username} changed; its old tokens no longer work")
        elif args.action == "revoke":
            if store.get(args.username) is None:
                raise CliError(f"no account {args.username!r}")
            store.revoke(args.username)
            print(f"{args.username} revoked; its sessions are refused from now on")
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the hash chain of every conference in a data directory."""
    from controlroom.store.audit import verify_data_dir

    db = Path(args.data) / "events.db"
    if not db.exists():
        raise CliError(f"no event log at {db}")
    results = verify_data_dir(Path(args.data), args.conference)
    bad = 0
    for conference, result in results.items():
        if result.ok:
            print(
                f"{conference}: OK, {result.count} events,"
                f" seq {result.first_seq}..{result.last_seq}"
            )
        else:
            bad += 1
            print(f"{conference}: BROKEN at seq {result.broken_seq}: {result.reason}")
    return 1 if bad else 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the conference report (HTML, JSON, CSV) from the event log alone."""
    from controlroom.report.offline import write_report

    return write_report(
        Path(args.config), Path(args.data), Path(args.out), args.lang, args.conference
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy a SQLite data directory's log into Redis Streams."""
    from controlroom.store.migrate import MigrationError, migrate_sqlite
    from controlroom.store.redis_streams import RedisEventLog

    source = args.source.removeprefix("sqlite:")
    if not args.to.startswith(("redis://", "rediss://", "unix://")):
        raise CliError("--to must be a redis:// (or unix://) URL")

    async def run() -> int:
        target = RedisEventLog(args.to)
        await target.open()
        try:
            done = await migrate_sqlite(Path(source), target, args.conference)
        except MigrationError as exc:
            raise CliError(str(exc)) from None
        finally:
            await target.close()
        bad = 0
        for m in done:
            check = m.verification
            state = "chain OK" if check.ok else f"chain BROKEN at {check.broken_seq}"
            copied = f"{m.events} events, {m.answers} answers, snapshot {m.snapshot_seq}"
            print(f"{m.conference}: {copied}; {state}")
            bad += not m.verification.ok
        return 1 if bad else 0

    return asyncio.run(run())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="controlroom", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def server_args(p: argparse.ArgumentParser, port: int) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=port)
        p.add_argument(
            "--heartbeat-s", type=float, default=None, help="ping interval (default from config)"
        )
        p.add_argument(
            "--allow-origin", action="append", help="extra browser origin allowed on /ws"
        )
        p.add_argument("--log-level", default="info")

    serve = sub.add_parser("serve", help="serve one or more conferences")
    serve.add_argument("--config", action="append", required=True, help="conference directory")
    serve.add_argument("--data", required=True, help="data directory (event log, token secret)")
    serve.add_argument(
        "--redis", default=None, help="redis://HOST:PORT/DB: share the log with other instances"
    )
    server_args(serve, 8000)
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="serve the demo conference (password 'demo')")
    demo.add_argument("--data", default=None, help="data directory (default: user state dir)")
    demo.add_argument("--simulate", type=int, default=None, help="simulated sites (default all)")
    server_args(demo, 8000)
    demo.set_defaults(func=cmd_demo)

    acc = sub.add_parser("accounts", help="manage accounts of a conference")
    acc_sub = acc.add_subparsers(dest="action", required=True)
    for action in ("add", "passwd", "revoke", "list"):
        p = acc_sub.add_parser(action)
        p.add_argument("--config", required=True, help="conference directory")
        if action != "list":
            p.add_argument("username")
        if action in ("add", "passwd"):
            p.add_argument("--password-file", help="read the password from this file")
        if action == "add":
            p.add_argument(
                "--role", required=True, choices=["admin", "operator", "assistant", "chair", "site"]
            )
            p.add_argument("--site", default=None)
            p.add_argument("--name", default="")
    acc.set_defaults(func=cmd_accounts)

    from controlroom.agent.cli import add_parser as add_agent_parser

    add_agent_parser(sub)

    migrate = sub.add_parser("migrate", help="copy a SQLite log into Redis Streams")
    migrate.add_argument("--from", dest="source", required=True, help="sqlite:DATA_DIR")
    migrate.add_argument("--to", required=True, help="redis://HOST:PORT/DB")
    migrate.add_argument("--conference", default=None, help="only this conference")
    migrate.set_defaults(func=cmd_migrate)

    audit = sub.add_parser("audit", help="check the event log")
    audit_sub = audit.add_subparsers(dest="action", required=True)
    verify = audit_sub.add_parser("verify", help="verify the hash chain")
    verify.add_argument("--data", required=True)
    verify.add_argument("--conference", default=None)
    audit.set_defaults(func=cmd_audit)

    report = sub.add_parser("report", help="write the report from the event log (offline)")
    report.add_argument("--config", required=True, help="conference directory")
    report.add_argument("--data", required=True, help="data directory (read-only)")
    report.add_argument("--out", required=True, help="directory for the report files")
    report.add_argument("--lang", choices=["vi", "en"], default="vi")
    report.add_argument("--conference", default=None, help="default: the config's id")
    report.set_defaults(func=cmd_report)

    bench = sub.add_parser(
        "bench", help="run the benchmarks (python -m bench; --quick, --help)", add_help=False
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)
    return parser


def cmd_bench(args: argparse.Namespace) -> int:
    """``controlroom bench [...]``: ``python -m bench [...]`` from the source tree."""
    import subprocess

    if not (REPO_ROOT / "bench" / "__main__.py").exists():
        raise CliError("the benchmarks live in the source tree (bench/); run from a checkout")
    return subprocess.call([sys.executable, "-m", "bench", *args.bench_args], cwd=REPO_ROOT)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``controlroom`` command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # every option after it belongs to python -m bench
        return cmd_bench(argparse.Namespace(bench_args=argv[1:]))
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except (CliError, ConfigError) as exc:
        print(f"controlroom: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
