"""The consoles offer exactly the commands the hub lets each role issue (web/perms.js)."""

from __future__ import annotations

import re

from controlroom.domain import COMMANDS
from tests.conftest import ROOT

ARRAY = re.compile(r"const (SITE|OPERATOR|ASSISTANT) = \[(.*?)\];", re.S)


def test_perms_js_matches_the_command_table():
    text = (ROOT / "web" / "perms.js").read_text(encoding="utf-8")
    found = {
        name.lower(): set(re.findall(r'"([\w.]+)"', body)) for name, body in ARRAY.findall(text)
    }
    assert set(found) == {"site", "operator", "assistant"}
    for role, names in found.items():
        expected = {name for name, spec in COMMANDS.items() if role in spec.roles}
        assert names == expected, role
