"""``controlroom serve`` and ``controlroom demo``: run the hub until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import ipaddress
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from controlroom.cli.errors import CliError, Unreachable, add_command

DEFAULT_PORT = 8000


def state_dir() -> Path:
    """The user's state directory for controlroom (``$XDG_STATE_HOME/controlroom``)."""
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
    except (socket.gaierror, UnicodeError):
        sock.close()
        raise CliError(f"{host!r} is not an address this machine can listen on") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _warn_demo_passwords(runtime: Any, host: str) -> None:
    for conference, accounts in runtime.accounts.items():
        weak = accounts.uses_password("demo")
        if weak:
            print(
                "\n"
                + "!" * 72
                + f"\n!! WARNING: {len(weak)} account(s) of conference {conference!r}"
                " still use the\n"
                f"!! demo password, and the hub listens on {host}, not loopback.\n"
                "!! Change them: controlroom accounts passwd USER --config DIR\n" + "!" * 72 + "\n",
                file=sys.stderr,
            )


def run_server(
    args: argparse.Namespace,
    config_dirs: list[Path],
    data_dir: Path,
    banner: str = "",
    simulate: list[tuple[str, str, int | None]] | None = None,
) -> int:
    """Load the conferences, bind, start the runtime, then serve until told to stop."""

    from controlroom.app import Options, build_runtime, create_app, server_config

    _check_writable(data_dir)
    from controlroom.store.checkpoints import CheckpointKeyError

    key = getattr(args, "checkpoint_key", None)
    witness = getattr(args, "checkpoint_witness", None)
    options = Options(
        config_dirs=config_dirs,
        data_dir=data_dir,
        heartbeat_s=args.heartbeat_s,
        allowed_origins=tuple(args.allow_origin or ()),
        redis_url=getattr(args, "redis", None),
        checkpoint_key=Path(key) if key else None,
        checkpoint_witness=Path(witness) if witness else None,
    )
    for kept_apart in (options.checkpoint_key, options.checkpoint_witness):
        if kept_apart is not None and kept_apart.resolve().is_relative_to(data_dir.resolve()):
            raise CliError(
                f"{kept_apart} is inside the data directory: a checkpoint proves nothing"
                " to someone who can rewrite both; keep it elsewhere"
            )
    try:
        runtime = build_runtime(options)
    except CheckpointKeyError as exc:
        raise CliError(str(exc)) from None
    if not _is_loopback(args.host):
        _warn_demo_passwords(runtime, args.host)
    sock = _bind(args.host, args.port)
    app = create_app(runtime)
    # The runtime starts here rather than in uvicorn's lifespan, so that a Redis that
    # cannot be reached is one line and exit status 3 instead of uvicorn's traceback.
    config = server_config(app, args.host, args.port, log_level=args.log_level, lifespan="off")
    server = _server_class()(config)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_serve(server, sock, runtime, args, simulate, banner))
    return 0


def _server_class() -> Any:
    """uvicorn's Server, except that a SIGTERM it caught does not end the process early.

    uvicorn re-raises the signal it caught once it has shut down, so that the default
    handler ends the process. Here the runtime is stopped after the server (the last
    checkpoint, ``hub.stopped``): the signal is dropped, and the CLI returns normally.
    """
    import uvicorn

    class CliServer(uvicorn.Server):
        caught: list[int] = []

        @contextlib.contextmanager
        def capture_signals(self) -> Any:
            with super().capture_signals():
                try:
                    yield
                finally:
                    captured = getattr(self, "_captured_signals", None)
                    if captured:
                        self.caught = list(captured)
                        captured.clear()

    return CliServer


def _loop_factory() -> Any:
    """uvloop's event loop when installed (uvicorn[standard] brings it), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _start_runtime(runtime: Any) -> None:
    from redis.exceptions import RedisError

    from controlroom.store.base import StoreUnavailable

    url = runtime.options.redis_url
    try:
        await runtime.start()
    except StoreUnavailable as exc:
        with contextlib.suppress(Exception):
            await runtime.stop()
        raise Unreachable(str(exc)) from None
    except (RedisError, OSError) as exc:
        with contextlib.suppress(Exception):
            await runtime.stop()
        if url:
            raise Unreachable(f"could not reach Redis at {url}: {exc}") from None
        raise CliError(f"cannot open the data directory: {exc}") from None


async def _serve(
    server: Any,
    sock: socket.socket,
    runtime: Any,
    args: argparse.Namespace,
    simulate: Any,
    banner: str,
) -> None:
    """Run uvicorn; for the demo (``simulate`` not None), open it and start its sites."""
    await _start_runtime(runtime)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    sim: asyncio.Task[None] | None = None
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if server.started and simulate is not None:
            await _demo_opening(runtime)
        if server.started and banner:
            print(banner, flush=True)
        if simulate and server.started:
            from controlroom.agent.simulator import simulate as run_sites

            host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
            sim = asyncio.create_task(run_sites(f"http://{host}:{args.port}", simulate))
        await serving
    finally:
        if sim is not None:
            sim.cancel()
            with contextlib.suppress(BaseException):
                await sim
        await runtime.stop()


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
    return run_server(args, [Path(d) for d in args.config], Path(args.data))


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the demo conference, dated today, with demo accounts (password ``demo``)."""
    from controlroom.auth.accounts import AccountStore
    from controlroom.demo import assign_endpoints, prepare_demo, reset_demo
    from controlroom.resources import MissingAsset, demo_template

    data_dir = Path(args.data) if args.data else state_dir() / "demo"
    if args.reset:
        removed = reset_demo(data_dir)
        print(f"demo data reset in {data_dir}: removed {', '.join(removed) or 'nothing'}")
    _check_writable(data_dir)
    keys = data_dir.parent / f"{data_dir.name}.keys"  # beside the data, never inside
    if not (keys / "checkpoint.key").exists():
        from controlroom.store.checkpoints import generate_key

        generate_key(keys)
    args.checkpoint_key = str(keys / "checkpoint.key")
    try:
        conference = prepare_demo(demo_template(), data_dir, datetime.now(UTC))
    except MissingAsset as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot prepare the demo in {data_dir}: {exc}") from None
    accounts = AccountStore(conference / "accounts.toml").all()
    roles = [a.username for a in accounts if a.role != "site"]
    sites = [a.username for a in accounts if a.role == "site"]
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    banner = (
        f"\ncontrolroom demo: {url}\n"
        f"  data: {data_dir} (controlroom demo --reset starts afresh)\n"
        f"  conference: {conference}\n"
        f"  checkpoints signed with {keys / 'checkpoint.key'} (audit verify --key"
        f" {keys / 'checkpoint.pub'})\n"
        f"  accounts (password 'demo' for every one): {', '.join(roles)}\n"
        f"  site accounts: {', '.join(sites[:6])} ... ({len(sites)} in all, site-<code>)\n"
    )
    count = len(sites) if args.simulate is None else max(0, min(args.simulate, len(sites)))
    chosen = [(a.username, a.site) for a in accounts if a.role == "site" and a.site][:count]
    ports = assign_endpoints(conference, [code for _, code in chosen])
    simulated: list[tuple[str, str, int | None]] = [
        (user, code, ports[code]) for user, code in chosen
    ]
    if simulated:
        banner += (
            f"  simulated sites: {len(simulated)} (--simulate 0 turns them off), each with an"
            " endpoint on loopback and the bridge's view of it\n"
        )
    return run_server(args, [conference], data_dir, banner, simulated)


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port to listen on")
    p.add_argument(
        "--heartbeat-s",
        type=float,
        default=None,
        help="seconds between pings of each session (default: the config's link.heartbeat_s)",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        help="another browser origin allowed on /ws, e.g. https://hop.example.vn (repeatable)",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="how much the server logs",
    )


def add_parsers(sub: Any) -> None:
    """Register ``serve`` and ``demo``."""
    serve = add_command(
        sub,
        "serve",
        "serve one or more conferences",
        "Serve the conferences of the given directories: consoles on /, WebSocket on /ws.",
    )
    serve.add_argument(
        "--config", action="append", required=True, metavar="DIR", help="conference directory"
    )
    serve.add_argument(
        "--data", required=True, metavar="DIR", help="data directory (event log, token secret)"
    )
    serve.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="redis://HOST:PORT/DB: share the log with other instances (docs/scaling.md)",
    )
    serve.add_argument(
        "--checkpoint-key",
        default=None,
        metavar="FILE",
        help="Ed25519 key that signs the log's head every minute (audit keygen; not in --data)",
    )
    serve.add_argument(
        "--checkpoint-witness",
        default=None,
        metavar="FILE",
        help="also append each checkpoint to this file, kept apart from --data",
    )
    _server_args(serve)
    serve.set_defaults(func=cmd_serve)

    demo = add_command(
        sub,
        "demo",
        "serve the demo conference (password 'demo')",
        "Serve the demo conference (Hà Nội and the 34 provinces and cities), dated today,\n"
        "with simulated sites. Every account's password is 'demo'.",
    )
    demo.add_argument(
        "--data",
        default=None,
        metavar="DIR",
        help="data directory (default: ~/.local/state/controlroom/demo)",
    )
    demo.add_argument(
        "--simulate",
        type=int,
        default=None,
        metavar="N",
        help="how many simulated sites (default: all; 0 for none)",
    )
    demo.add_argument(
        "--reset",
        action="store_true",
        help="remove the demo's log and dated conference first, and start a new day",
    )
    _server_args(demo)
    demo.set_defaults(func=cmd_demo)
