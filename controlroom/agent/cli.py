"""``controlroom agent``: the site side, in a terminal.

``controlroom agent --server URL --username U [--password-file F]`` keeps a session
for the site and prints its link, faults, requests and the floor whenever they
change. One-shot subcommands (``report-fault``, ``request-speak``, ``status``,
``checkin``) send one command over HTTP and print its ack or a clear error; their
exit status is 0 for an ack and 1 for a refusal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from controlroom.agent.session import (
    AgentError,
    HubSession,
    HubUnreachable,
    describe_network_error,
    http_json,
    login,
)
from controlroom.agent.testcall import CAPS, CallAnswerer, describe
from controlroom.agent.view import SiteView, render
from controlroom.cli.errors import add_command
from media.answerer import AnswerOptions


def add_parser(sub: Any) -> None:
    """Register ``agent`` and its subcommands on the main parser."""
    agent = add_command(
        sub,
        "agent",
        "the site agent: keep a session, or send one command",
        "Keep a site's session with the hub (link, faults, floor, test calls), or send\n"
        "one command and exit: 0 for an ack, 1 for a refusal, 3 when the hub cannot be\n"
        "reached. The session itself waits for the hub and reconnects for ever.",
    )
    agent.add_argument("--server", default="http://127.0.0.1:8000", help="hub URL")
    agent.add_argument("--username", required=True, help="site account, e.g. site-hue")
    agent.add_argument(
        "--password-file",
        metavar="FILE",
        help="file holding the password (else $CONTROLROOM_PASSWORD or a prompt)",
    )
    agent.add_argument("--no-testcalls", action="store_true", help="do not answer test calls")
    agent.add_argument("--camera", help="camera for test calls, e.g. /dev/video0 (else a pattern)")
    agent.add_argument("--camera-format", default="v4l2", help="ffmpeg input format of --camera")
    agent.add_argument("--microphone", help="microphone for test calls, e.g. default (else a tone)")
    agent.add_argument("--microphone-format", default="alsa", help="ffmpeg format of --microphone")
    agent.add_argument("--silent", action="store_true", help="answer test calls with silence")
    actions = agent.add_subparsers(dest="action", metavar="ACTION")
    fault = add_command(actions, "report-fault", "report a technical fault")
    fault.add_argument(
        "--category",
        required=True,
        choices=["audio", "video", "network", "equipment", "power", "other"],
        help="what is failing",
    )
    fault.add_argument(
        "--severity", default="major", choices=["critical", "major", "minor"], help="how bad"
    )
    fault.add_argument("description", help="what the technician sees, in a sentence")
    speak = add_command(actions, "request-speak", "register a speaker")
    speak.add_argument("--speaker", required=True, help="the speaker's full name")
    speak.add_argument("--title", required=True, help="the speaker's title or position")
    speak.add_argument("--topic", default="Phát biểu", help="what the speech is about")
    speak.add_argument(
        "--kind", default="speech", choices=["speech", "comment", "question"], help="what kind"
    )
    status = add_command(actions, "status", "report the site's audio and video")
    status.add_argument("--audio", required=True, choices=["ok", "fail", "unknown"], help="sound")
    status.add_argument("--video", required=True, choices=["ok", "fail", "unknown"], help="picture")
    status.add_argument("--note", default="", help="a remark for the operators")
    checkin = add_command(actions, "checkin", "check the site in")
    checkin.add_argument("--technician", required=True, help="the technician on duty")
    checkin.add_argument("--phone", required=True, help="the technician's phone number")
    checkin.add_argument("--delegates", type=int, default=None, help="delegates present")
    reply = add_command(actions, "reply", "write to the centre in the site's thread")
    reply.add_argument("text", help="the message")
    progress = add_command(actions, "progress", "report progress on a conclusion (kết luận)")
    progress.add_argument("conclusion", help="the conclusion's id, e.g. K001")
    progress.add_argument("text", nargs="?", default="", help="what has been done")
    progress.add_argument("--percent", type=int, default=0, help="how much is done (0-100)")
    progress.add_argument("--done", action="store_true", help="done: asks the centre to accept it")
    ready = add_command(actions, "ready", 'answer the latest "you are next" cue')
    ready.add_argument("--not", dest="not_ready", action="store_true", help="not ready yet")
    agent.set_defaults(func=run_agent)


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        try:
            return Path(args.password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AgentError(f"cannot read {args.password_file}: {exc.strerror}") from None
    if os.environ.get("CONTROLROOM_PASSWORD"):
        return os.environ["CONTROLROOM_PASSWORD"]
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass(f"Password for {args.username}: ")


def _latest_cue(server: str, account: dict[str, Any]) -> str:
    """The id of the site's latest cue, from its snapshot."""
    url = f"{server.rstrip('/')}/api/conferences/{account['conference']}/snapshot"
    try:
        status, body = http_json(url, None, account["token"])
    except OSError as exc:
        raise HubUnreachable(f"could not reach {server}: {describe_network_error(exc)}") from None
    cues = (body or {}).get("state", {}).get("cues") or {} if status == 200 else {}
    if not cues:
        raise AgentError("there is no cue to answer")
    return max(cues, key=lambda c: int(str(c)[1:] or 0))


def _one_shot(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    if args.action == "reply":
        return "msg.send", {"text": args.text}
    if args.action == "ready":
        return "cue.answer", {"cue_id": args.cue_id, "ready": not args.not_ready}
    if args.action == "progress":
        return "conclusion.report", {
            "conclusion_id": args.conclusion,
            "text": args.text,
            "percent": args.percent,
            "done": args.done,
        }
    if args.action == "report-fault":
        return "fault.report", {
            "category": args.category,
            "severity": args.severity,
            "description": args.description,
        }
    if args.action == "request-speak":
        return "speak.request", {
            "speaker": args.speaker,
            "title": args.title,
            "topic": args.topic,
            "kind": args.kind,
        }
    if args.action == "status":
        return "site.status", {"audio": args.audio, "video": args.video, "note": args.note}
    body: dict[str, Any] = {"technician": args.technician, "phone": args.phone}
    if args.delegates is not None:
        body["delegates"] = args.delegates
    return "site.checkin", body


async def _send_once(args: argparse.Namespace, password: str) -> int:
    account = await login(args.server, args.username, password)
    if args.action == "ready":
        args.cue_id = await asyncio.to_thread(_latest_cue, args.server, account)
    name, command_args = _one_shot(args)
    url = f"{args.server.rstrip('/')}/api/conferences/{account['conference']}/commands"
    body = {"id": str(uuid.uuid4()), "name": name, "args": command_args}
    try:
        status, answer = await asyncio.to_thread(http_json, url, body, account["token"])
    except OSError as exc:
        raise HubUnreachable(
            f"could not reach {args.server}: {describe_network_error(exc)}"
        ) from None
    if status == 200 and answer.get("type") == "ack":
        result = json.dumps(answer.get("result") or {}, ensure_ascii=False)
        print(f"ok: {name} recorded as event {answer.get('seq')} {result}")
        return 0
    field = f" (field {answer['field']})" if answer.get("field") else ""
    print(f"refused: {answer.get('code', status)}: {answer.get('message')}{field}", file=sys.stderr)
    return 1


async def _keep_session(args: argparse.Namespace, password: str) -> int:
    view = SiteView()
    last: list[str] = []

    def on_frame(frame: dict[str, Any]) -> None:
        nonlocal last
        if frame.get("type") == "welcome":
            view.server_offset_ms = int(frame.get("server_time", 0)) - int(time.time() * 1000)
        if view.feed(frame) or frame.get("type") == "synced":
            lines = render(view, int(time.time() * 1000))
            if lines != last:
                last = lines
                stamp = time.strftime("%H:%M:%S")
                print(f"{stamp} " + "\n         ".join(lines), flush=True)

    caps = None if args.no_testcalls else CAPS
    session = HubSession(args.server, args.username, password, on_frame=on_frame, caps=caps)
    if not args.no_testcalls:
        CallAnswerer(session, _answer_options(args))
        session.listeners.append(lambda f: _print_line(describe(f)))
    last_unreachable = ""

    def unreachable(reason: str) -> None:
        nonlocal last_unreachable
        if reason != last_unreachable:  # once per reason, not once per retry
            last_unreachable = reason
            _print_line(f"{reason}; retrying")

    session.on_unreachable = unreachable
    print(f"connecting to {args.server} as {args.username} (Ctrl-C to stop)", flush=True)
    await session.run()
    return 0


def _answer_options(args: argparse.Namespace) -> AnswerOptions:
    return AnswerOptions(
        audio="silence" if args.silent else "tone",
        audio_device=args.microphone,
        audio_format=args.microphone_format if args.microphone else None,
        video_device=args.camera,
        video_format=args.camera_format if args.camera else None,
    )


def _print_line(line: str | None) -> None:
    if line:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


def run_agent(args: argparse.Namespace) -> int:
    """Entry point of ``controlroom agent``."""
    try:
        password = _password(args)
        if args.action:
            return asyncio.run(_send_once(args, password))
        return asyncio.run(_keep_session(args, password))
    except AgentError as exc:
        print(f"controlroom agent: error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, HubUnreachable) else 2
