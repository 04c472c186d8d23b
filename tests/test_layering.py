"""The generic packages stay generic: signaling/, media/, probes/ and bridges/ never
import controlroom, and the new ones carry no conference words."""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import ROOT

GENERIC = ("signaling", "media", "probes", "bridges")
# Words of the conference domain; "site" as in "website" is not meant.
CONFERENCE_WORDS = re.compile(r"\b(conference|fault|speak(?:er|ing)?|agenda|chair|sites?)\b", re.I)


def _modules(package: str) -> list:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", GENERIC)
def test_a_generic_package_imports_nothing_of_the_application(package):
    for path in _modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("controlroom"), f"{path}: imports {name}"


@pytest.mark.parametrize("package", ["probes", "bridges"])
def test_the_adapters_and_probes_speak_no_conference_words(package):
    for path in _modules(package):
        found = CONFERENCE_WORDS.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path}: {sorted(set(found))}"
