"""``controlroom audit``, ``migrate``, ``report`` and ``bench``: the log after the fact."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from controlroom.cli.errors import CliError, Unreachable, add_command


def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the hash chain (and the signed checkpoints) of a data directory's log."""
    from controlroom.store import checkpoints
    from controlroom.store.audit import verify_data_dir

    if args.action == "keygen":
        try:
            private, public = checkpoints.generate_key(Path(args.out))
        except (checkpoints.CheckpointKeyError, OSError) as exc:
            raise CliError(str(exc)) from None
        print(f"signing key: {private} (give it to serve --checkpoint-key; keep it off the data)")
        print(f"public key: {public} (for audit verify --key; share it with the auditors)")
        return 0
    if args.action == "reads":
        return _reads(Path(args.data), args.conference, args.last)
    db = Path(args.data) / "events.db"
    if not db.exists():
        raise CliError(f"no event log at {db}")
    key = None
    if args.key:
        try:
            key = checkpoints.load_public_key(Path(args.key))
        except checkpoints.CheckpointKeyError as exc:
            raise CliError(str(exc)) from None
    witness = Path(args.witness) if args.witness else None
    if witness is not None and not witness.is_file():
        raise CliError(f"no witness file at {witness}")
    results = verify_data_dir(Path(args.data), args.conference, key, witness)
    sealed = _check_seals(Path(args.data), args.conference)
    if not results and sealed == 0:
        print("the log holds no conference")
    bad = 0
    for conference, audit in results.items():
        chain = audit.chain
        if chain.ok:
            span = f"seq {chain.first_seq}..{chain.last_seq}"
            print(f"{conference}: OK, {chain.count} events, {span}")
        else:
            print(f"{conference}: BROKEN at seq {chain.broken_seq}: {chain.reason}")
        signed = audit.checkpoints
        if signed is not None:
            for problem in signed.problems:
                print(f"{conference}: CHECKPOINT: {problem}")
            if signed.signed_seq is not None:
                print(
                    f"{conference}: signed through seq {signed.signed_seq}"
                    f" ({signed.count} checkpoints, key {signed.key});"
                    f" {signed.unsigned} later events not signed yet"
                )
        bad += not audit.ok
    bad += _verify_reads(Path(args.data), args.conference)
    bad += sealed < 0
    return 1 if bad else 0


def _check_seals(data: Path, conference: str | None) -> int:
    """Print each purged conference's seal; the number of seals, or -1 if one is altered."""
    from controlroom.store.purge import check_seals

    found = check_seals(data, conference)
    altered = False
    for check in found:
        seal = check.seal
        name = seal.get("conference", "?")
        if not check.ok:
            print(f"{name}: SEAL ALTERED: its seal_hash does not match its content")
            altered = True
            continue
        print(
            f"{name}: PURGED by {seal['purged_by']} at {seal['purged_at']} (Unix ms); sealed"
            f" {seal['count']} events, seq {seal['first_seq']}..{seal['last_seq']},"
            f" head hash {seal['head_hash']}"
        )
    return -1 if altered else len(found)


def cmd_purge(args: argparse.Namespace) -> int:
    """Remove a conference's log after its retention period, keeping its seal."""
    import time

    from controlroom.config import ConfigError, load_conference
    from controlroom.store.purge import PurgeRefused, purge

    try:
        config = load_conference(Path(args.config))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    conference = args.conference or config.conference.id
    try:
        seal = purge(
            Path(args.data), conference, args.by, int(time.time() * 1000), config.retention_days
        )
    except PurgeRefused as exc:
        raise CliError(str(exc)) from None
    print(f"{conference}: purged {seal['count']} events; seal {seal['seal_hash']}")
    print(f"  kept in {Path(args.data) / 'seals' / (conference + '.json')}")
    return 0


def _read_logs(data: Path, conference: str | None) -> list[Path]:
    directory = data / "reads"
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.jsonl") if conference in (None, p.stem))


def _verify_reads(data: Path, conference: str | None) -> int:
    """Check each read log's chain; the number that do not verify."""
    from controlroom.store.reads import verify_reads

    bad = 0
    for path in _read_logs(data, conference):
        verdict = verify_reads(path)
        if verdict.ok:
            print(f"{path.stem}: reads OK, {verdict.count} recorded")
        else:
            print(f"{path.stem}: READS BROKEN at line {verdict.broken_seq}: {verdict.reason}")
            bad += 1
    return bad


def _reads(data: Path, conference: str | None, last: int) -> int:
    """Who viewed what, when: the latest lines of each read log, and its check."""
    from datetime import datetime

    from controlroom.store.reads import read_lines

    paths = _read_logs(data, conference)
    if not paths:
        raise CliError(f"no read log in {data / 'reads'}")
    for path in paths:
        for row in read_lines(path)[-last:]:
            at = datetime.fromtimestamp(int(row.get("at", 0)) / 1000).astimezone()
            place = f", {row['site']}" if row.get("site") else ""
            who = f"{row.get('account')} ({row.get('role')}{place})"
            detail = f" {row['detail']}" if row.get("detail") else ""
            print(f"{path.stem} {at:%Y-%m-%d %H:%M:%S} {who}: {row.get('what')}{detail}")
    return 1 if _verify_reads(data, conference) else 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the conference report (HTML, JSON, CSV) from the event log alone."""
    from controlroom.report.offline import write_report

    try:
        return write_report(
            Path(args.config), Path(args.data), Path(args.out), args.lang, args.conference
        )
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy a SQLite data directory's log into Redis Streams."""
    from redis.exceptions import RedisError

    from controlroom.store.base import StoreUnavailable
    from controlroom.store.migrate import MigrationError, migrate_sqlite
    from controlroom.store.redis_streams import RedisEventLog

    source = args.source.removeprefix("sqlite:")
    if not args.to.startswith(("redis://", "rediss://", "unix://")):
        raise CliError("--to must be a redis:// (or unix://) URL")
    if not (Path(source) / "events.db").exists():
        raise CliError(f"no event log at {Path(source) / 'events.db'}")

    async def run() -> int:
        target = RedisEventLog(args.to)
        try:
            await target.open()
            done = await migrate_sqlite(Path(source), target, args.conference)
        except MigrationError as exc:
            raise CliError(str(exc)) from None
        except StoreUnavailable as exc:
            raise Unreachable(str(exc)) from None
        except (RedisError, OSError) as exc:
            raise Unreachable(f"could not reach Redis at {args.to}: {exc}") from None
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


def cmd_bench(bench_args: list[str]) -> int:
    """``controlroom bench [...]``: ``python -m bench [...]`` from the source tree."""
    from controlroom.resources import source_checkout

    root = source_checkout()
    if root is None:
        raise CliError("the benchmarks live in the source tree (bench/); run them from a checkout")
    return subprocess.call([sys.executable, "-m", "bench", *bench_args], cwd=root)


def add_parsers(sub: Any) -> None:
    """Register ``audit``, ``migrate``, ``report`` and ``bench``."""
    audit = add_command(sub, "audit", "check the event log, make the checkpoint key")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = add_command(
        actions,
        "verify",
        "verify the hash chain and the signed checkpoints",
        "Verify the hash chain of each conference in a data directory and name the first\n"
        "broken link; with --key, check every signed checkpoint too (a rewritten or cut\n"
        "log is named, with the last good checkpoint). Exit status 0 when everything\n"
        "verifies, 1 when something does not.",
    )
    verify.add_argument("--data", required=True, metavar="DIR", help="data directory")
    verify.add_argument("--conference", default=None, help="only this conference (default: all)")
    verify.add_argument(
        "--key", default=None, metavar="FILE", help="public key of the checkpoints (checkpoint.pub)"
    )
    verify.add_argument(
        "--witness",
        default=None,
        metavar="FILE",
        help="the witness file serve --checkpoint-witness wrote (detects a cut log)",
    )
    keygen = add_command(
        actions,
        "keygen",
        "make an Ed25519 key pair for signed checkpoints",
        "Write checkpoint.key (private, 0600) and checkpoint.pub into a directory kept\n"
        "apart from the data directory (e.g. /etc/controlroom/keys).",
    )
    keygen.add_argument("--out", required=True, metavar="DIR", help="directory for the key pair")
    reads = add_command(
        actions,
        "reads",
        "who viewed what, when (the read log)",
        "Print the latest lines of each conference's read log (every snapshot, event\n"
        "list, report, readiness board, photo and link history given to an account) and\n"
        "check its hash chain. Exit status 0 when it verifies, 1 when it does not.",
    )
    reads.add_argument("--data", required=True, metavar="DIR", help="data directory")
    reads.add_argument("--conference", default=None, help="only this conference (default: all)")
    reads.add_argument("--last", type=int, default=50, metavar="N", help="lines to print (50)")
    audit.set_defaults(func=cmd_audit)

    purge = add_command(
        sub,
        "purge",
        "remove a conference's log after its retention period, keeping a seal",
        "Once retention_days (conference.toml) have passed since its last event, verify\n"
        "the conference's chain, write its seal (counts, seqs, the head hash, who purged)\n"
        "to DATA/seals/, then remove its events, answers and snapshot. 'audit verify'\n"
        "names the seal afterwards. Stop the hub first.",
    )
    purge.add_argument("--config", required=True, metavar="DIR", help="conference directory")
    purge.add_argument("--data", required=True, metavar="DIR", help="data directory")
    purge.add_argument("--by", required=True, metavar="NAME", help="who purges (kept in the seal)")
    purge.add_argument("--conference", default=None, help="conference id (default: the config's)")
    purge.set_defaults(func=cmd_purge)

    migrate = add_command(sub, "migrate", "copy a SQLite log into Redis Streams")
    migrate.add_argument(
        "--from", dest="source", required=True, metavar="sqlite:DIR", help="data directory"
    )
    migrate.add_argument("--to", required=True, metavar="URL", help="redis://HOST:PORT/DB")
    migrate.add_argument("--conference", default=None, help="only this conference (default: all)")
    migrate.set_defaults(func=cmd_migrate)

    report = add_command(
        sub,
        "report",
        "write the report from the event log (offline)",
        "Write report.html, report.json and csv/*.csv from a data directory, read-only.\n"
        "Exit status 0 when the log verifies, 1 when it does not (the report says so too).",
    )
    report.add_argument("--config", required=True, metavar="DIR", help="conference directory")
    report.add_argument("--data", required=True, metavar="DIR", help="data directory (read-only)")
    report.add_argument("--out", required=True, metavar="DIR", help="directory for the files")
    report.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of the report")
    report.add_argument("--conference", default=None, help="default: the config's id")
    report.set_defaults(func=cmd_report)

    bench = add_command(
        sub,
        "bench",
        "run the benchmarks from a source checkout (python -m bench; --quick, --help)",
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="options of python -m bench")
    bench.set_defaults(func=lambda args: cmd_bench(args.bench_args))
