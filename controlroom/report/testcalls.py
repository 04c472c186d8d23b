"""Test calls (the day-before connectivity test): the latest result per site.

Rules:

- The latest ``testcall.result`` of each site counts: verdict (``pass``/``warn``/
  ``fail``), its ``metrics`` as recorded (MOS under ``mos`` when the media runner
  measured it), and its ``reasons``.
- *Retries* = the site's calls (``testcall.started``, or results when no start was
  recorded) minus one; a ``retries`` or ``attempt`` field in the result wins when present.
- Sites never called are listed with no verdict.
- A reason is kept as its sentence in each language (``{vi, en}``), never as the
  raw map the grading stored.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from controlroom.domain.model import Event, SiteInfo


class TestCalls:
    """Folds ``testcall.*`` events; :meth:`result` gives the section."""

    __test__ = False  # not a pytest class

    def __init__(self, sites: tuple[SiteInfo, ...]) -> None:
        self.sites = sites
        self.latest: dict[str, dict[str, Any]] = {}
        self.started: Counter[str] = Counter()
        self.results: Counter[str] = Counter()

    def feed(self, event: Event) -> None:
        """Take one event (other names are ignored)."""
        site = event.data.get("site")
        if not isinstance(site, str):
            return
        if event.name == "testcall.started":
            self.started[site] += 1
        elif event.name == "testcall.result":
            self.results[site] += 1
            self.latest[site] = {"at": event.at, **event.data}

    def result(self) -> dict[str, Any]:
        """The test-call section."""
        rows = []
        for info in self.sites:
            latest = self.latest.get(info.code)
            calls = self.started[info.code] or self.results[info.code]
            retries = max(0, calls - 1)
            if latest is not None:
                if isinstance(latest.get("retries"), int):
                    retries = latest["retries"]
                elif isinstance(latest.get("attempt"), int):
                    retries = max(0, latest["attempt"] - 1)
            metrics = dict((latest or {}).get("metrics") or {})
            rows.append(
                {
                    "site": info.code,
                    "name": info.name,
                    "at": None if latest is None else latest["at"],
                    "call": None if latest is None else latest.get("call"),
                    "verdict": None if latest is None else latest.get("verdict"),
                    "mos": _number(metrics.get("mos", metrics.get("mos_estimate"))),
                    "metrics": metrics,
                    "reasons": [_sentence(r) for r in (latest or {}).get("reasons") or []],
                    "retries": retries,
                }
            )
        verdicts = Counter(r["verdict"] or "none" for r in rows)
        return {
            "sites": rows,
            "pass": verdicts.get("pass", 0),
            "warn": verdicts.get("warn", 0),
            "fail": verdicts.get("fail", 0),
            "not_tested": verdicts.get("none", 0),
        }


def _sentence(reason: Any) -> dict[str, str]:
    """A reason in both languages: the grading's sentences, or its text for both."""
    if isinstance(reason, dict):
        code = str(reason.get("code", ""))
        vi = str(reason.get("vi") or reason.get("en") or code)
        return {"vi": vi, "en": str(reason.get("en") or vi)}
    return {"vi": str(reason), "en": str(reason)}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
