"""Every refusal a person may meet is a code the consoles can render in both languages.

Issue "No false alarms": a refusal's English sentence never reaches a Vietnamese
screen. Each ``raise ...(text="code", **params)`` in ``controlroom/domain`` has
``refuse.code`` in ``web/strings/vi.js`` and ``en.js``, whose placeholders are all
among the parameters it is raised with.
"""

from __future__ import annotations

import ast
import re

from controlroom.domain import parse_command
from controlroom.domain.errors import Conflict, DomainError
from tests.conftest import ROOT
from tests.domain.conftest import ASSISTANT, OPERATOR, World, make_state

ENTRY = re.compile(r'^\s*"refuse\.([a-z_]+)":\s*"(.*)",\s*$')
# Parameters the console derives from others (web/messages.js refusalText).
DERIVED = {"speakers": {"speakers", "sites"}}


def _strings(lang: str) -> dict[str, str]:
    text = (ROOT / "web" / "strings" / f"{lang}.js").read_text(encoding="utf-8")
    return {m[1]: m[2] for line in text.splitlines() if (m := ENTRY.match(line))}


def _raised() -> dict[str, set[frozenset[str]]]:
    """Each text code raised in the domain, with the parameter names of each raise."""
    found: dict[str, set[frozenset[str]]] = {}
    for path in (ROOT / "controlroom" / "domain").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            text = keywords.pop("text", None)
            if isinstance(text, ast.Constant) and isinstance(text.value, str):
                keywords.pop("field", None)
                found.setdefault(text.value, set()).add(frozenset(keywords))
    return found


def test_every_refusal_code_has_words_in_both_languages_with_its_parameters():
    raised = _raised()
    assert len(raised) > 25  # the walk found the domain's raises
    vi, en = _strings("vi"), _strings("en")
    assert set(vi) == set(en) == set(raised)
    for code, param_sets in raised.items():
        for words in (vi[code], en[code]):
            wanted = set(re.findall(r"\{(\w+)\}", words))
            for params in param_sets:
                have = set(params) | {d for d, need in DERIVED.items() if need <= params}
                assert wanted <= have, (code, words, sorted(params))


def test_a_refusal_carries_its_code_and_parameters_on_the_wire():
    """The floor taken: the error names the speaker and site as parameters, not words."""
    world = World(make_state())
    world.do("conference.phase", {"phase": "live"}, OPERATOR)
    ask = {"title": "GĐ", "topic": "Báo cáo", "kind": "speech"}
    a = world.do("speak.add", {**ask, "site": "DN", "speaker": "Ông A"}, ASSISTANT)
    b = world.do("speak.add", {**ask, "site": "HN", "speaker": "Bà B"}, ASSISTANT)
    world.do("speak.grant", {"request_id": a[0].data["request_id"]}, ASSISTANT)
    try:
        world.do("speak.grant", {"request_id": b[0].data["request_id"]}, ASSISTANT)
    except DomainError as exc:
        refused: DomainError = exc
    else:
        raise AssertionError("the second grant was accepted")
    assert isinstance(refused, Conflict)
    assert refused.to_wire()["text_code"] == {
        "code": "floor_taken",
        "speakers": ["Ông A"],
        "sites": ["DN"],
    }


def test_an_invalid_argument_names_its_field_as_a_parameter():
    try:
        parse_command("fault.ack", {"fault_id": 7}, OPERATOR)
    except DomainError as exc:
        assert exc.text_code == {"code": "bad_value", "field_name": "args.fault_id"}
    else:
        raise AssertionError("accepted")
