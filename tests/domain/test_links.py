"""Link health: hysteresis, offline rules and flapping, for any sample sequence."""

from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.domain.links import LinkHealth, Sample, closed, observe, settle, silence
from controlroom.domain.model import Thresholds

T = Thresholds()
GOOD = dict(rtt_ms=40.0, jitter_ms=3.0, loss_pct=0.0)
SLOW = dict(rtt_ms=420.0, jitter_ms=3.0, loss_pct=0.0)


def feed(h, kinds, start=0, step=2000):
    out = []
    for i, kind in enumerate(kinds):
        out += observe(h, Sample(start + i * step, **kind), T)
    return out


def test_first_good_sample_brings_unknown_online():
    """A site's first good pong makes it online at once."""
    h = LinkHealth()
    (t,) = feed(h, [GOOD])
    assert (t.kind, t.to) == ("state", "online") and h.state == "online"


def test_degraded_only_after_three_consecutive_bad_samples():
    """Two slow samples change nothing; the third makes the site degraded with a reason."""
    h = LinkHealth()
    feed(h, [GOOD])
    assert feed(h, [SLOW, SLOW, GOOD, SLOW, SLOW], start=2000) == []
    (t,) = feed(h, [SLOW], start=20_000)
    assert t.to == "degraded" and t.reason == "RTT 420 ms > 300 ms (3 samples)"


def test_recovery_needs_three_good_samples():
    """Back online only after three good samples in a row."""
    h = LinkHealth(state="degraded")
    assert feed(h, [GOOD, GOOD, SLOW, GOOD, GOOD]) == []
    (t,) = feed(h, [GOOD], start=20_000)
    assert t.to == "online" and "3 good samples" in t.reason


def test_site_reported_media_failure_counts_as_bad():
    """audio or video 'fail' in the site's own stats degrades the link like a slow RTT."""
    h = LinkHealth(state="online")
    fails = [dict(GOOD, audio="fail")] * 3
    (t,) = feed(h, fails)
    assert t.to == "degraded" and "audio failing" in t.reason


def test_silence_and_close_make_offline():
    """No answer for 3 heartbeats, or the last session closing, is offline; once."""
    h = LinkHealth(state="online")
    assert silence(h, last_heard=0, now=5_999, t=T, heartbeat_s=2) == []
    (t,) = silence(h, last_heard=0, now=6_000, t=T, heartbeat_s=2)
    assert t.to == "offline" and t.reason == "no answer for 6 s"
    assert silence(h, last_heard=0, now=9_000, t=T, heartbeat_s=2) == []
    h2 = LinkHealth(state="degraded")
    assert [x.to for x in closed(h2, 100, T)] == ["offline"]
    assert closed(h2, 200, T) == []


def test_flapping_is_marked_once_and_cleared_after_a_stable_window():
    """The fifth change within 5 minutes marks flapping once; 5 quiet minutes clear it."""
    h = LinkHealth()
    marks = []
    now = 0
    for i in range(12):
        now += 10_000
        if i % 2 == 0:
            marks += observe(h, Sample(now, **GOOD), T) + observe(h, Sample(now, **GOOD), T)
            marks += observe(h, Sample(now, **GOOD), T)
        else:
            marks += closed(h, now, T)
    flaps = [m for m in marks if m.kind == "flapping"]
    assert len(flaps) == 1 and flaps[0].flapping
    assert all(m.flapping for m in marks[marks.index(flaps[0]) :])
    assert settle(h, now + 299_000, T) == []
    (cleared,) = settle(h, now + 300_000, T)
    assert cleared.kind == "flapping" and not cleared.flapping and not h.flapping


samples = st.lists(
    st.tuples(
        st.sampled_from(["sample", "silence", "close"]),
        st.floats(0, 1000),
        st.floats(0, 100),
        st.floats(0, 20),
        st.sampled_from(["ok", "fail", "unknown"]),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(samples)
def test_hysteresis_holds_for_any_sequence(seq):
    """Every entry into degraded follows 3 bad samples, every recovery 3 good ones, no repeats."""
    h = LinkHealth()
    bad_run = good_run = 0
    now = 0
    last_heard = 0
    flap_marks = 0
    for kind, rtt, jitter, loss, audio in seq:
        now += 2000
        before = h.state
        if kind == "sample":
            sample = Sample(now, rtt, jitter, loss, audio)
            bad = rtt > T.rtt_ms or jitter > T.jitter_ms or loss > T.loss_pct or audio == "fail"
            bad_run, good_run = (bad_run + 1, 0) if bad else (0, good_run + 1)
            out = observe(h, sample, T)
            last_heard = now
        elif kind == "silence":
            out = silence(h, last_heard, now, T, 2.0)
        else:
            out = closed(h, now, T)
        states = [t for t in out if t.kind == "state"]
        flap_marks += sum(1 for t in out if t.kind == "flapping")
        assert len(states) <= 1
        if states:
            to = states[0].to
            assert to != before, "a transition always changes the state"
            bad_run, good_run = 0, 0
            if to == "degraded":
                assert kind == "sample" and "samples)" in states[0].reason
            if to == "online" and before in ("degraded", "offline"):
                assert "3 good samples" in states[0].reason
            if to == "offline":
                assert kind in ("silence", "close")
    # Flapping is marked at most once per quiet period; no storm of marks.
    assert flap_marks <= 1


def test_link_commands_are_idempotent(world):
    """A change to the recorded state, or flapping already marked, emits nothing."""
    from controlroom.domain import SYSTEM, LinkChange, LinkFlap

    assert [e.name for e in world.run(LinkChange(site="HN", to="online"), SYSTEM)] == [
        "link.changed"
    ]
    assert world.run(LinkChange(site="HN", to="online"), SYSTEM) == []
    assert [e.name for e in world.run(LinkFlap(site="HN", flapping=True), SYSTEM)] == [
        "link.flapping"
    ]
    assert world.run(LinkFlap(site="HN", flapping=True), SYSTEM) == []


def test_the_transitions_that_mark_flapping_record_exactly_one_link_flapping(world):
    """What the monitor sends when a site starts to flap (a change made while flapping,
    then the mark) records one link.flapping event, and the clearing one more."""
    from controlroom.domain import SYSTEM, LinkChange, LinkFlap

    h = LinkHealth()
    names: list[str] = []
    kinds = [GOOD, SLOW, SLOW, SLOW, GOOD, GOOD, GOOD] * 3
    for t in feed(h, kinds):
        if t.kind == "state":
            command = LinkChange(site="HN", to=t.to, reason=t.reason, flapping=t.flapping)
        else:
            command = LinkFlap(site="HN", flapping=t.flapping, reason=t.reason)
        names += [e.name for e in world.run(command, SYSTEM)]
    assert h.flapping
    assert names.count("link.flapping") == 1, names
    cleared = settle(h, 10**9, T)
    assert len(cleared) == 1
    events = world.run(LinkFlap(site="HN", flapping=False, reason=cleared[0].reason), SYSTEM)
    assert [e.name for e in events] == ["link.flapping"]
