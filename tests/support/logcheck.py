"""What a test under failure checks of the log: every ack is there once, the chain whole."""

from __future__ import annotations

import itertools

from controlroom.store.chain import Record


def assert_acked_faults_in_log(records: list[Record], acked: dict[str, int]) -> None:
    """Each acked ``fault.report`` (its description is its command id) is in the log once,
    at the seq of its ack; seqs run without a gap and each record links to the one before.
    """
    by_desc: dict[str, int] = {}
    for rec in records:
        if rec.event.name == "fault.reported":
            desc = rec.event.data["description"]
            assert desc not in by_desc, f"{desc} recorded twice"
            by_desc[desc] = rec.event.seq
    for cid, seq in acked.items():
        assert by_desc.get(cid) == seq, f"acked {cid} at {seq} is missing"
    assert [r.event.seq for r in records] == list(range(1, len(records) + 1))
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash, f"chain broken at {after.event.seq}"
