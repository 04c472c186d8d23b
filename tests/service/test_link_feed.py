"""The pacing of ``links`` entries: what is shown goes at once, figures alone wait their turn."""

from controlroom.service.link_feed import LinkFeed


def test_a_first_entry_and_a_change_of_state_go_out_at_once_past_the_budget() -> None:
    feed = LinkFeed(every_ms=5000, budget=1)
    for code in "ABC":
        feed.mark(code, "online")
    assert feed.due(0) == ["A", "B", "C"]  # never sent: all at once
    for code in "ABC":
        feed.mark(code, "degraded")
    assert feed.due(10) == ["A", "B", "C"]  # changed: all at once
    assert len(feed) == 0


def test_figures_alone_wait_for_their_period_and_the_budget_oldest_first() -> None:
    feed = LinkFeed(every_ms=5000, budget=2)
    for code in "ABCD":
        feed.mark(code, "online")
    feed.due(0)
    for code in "DCBA":  # figures moved, D first
        feed.mark(code, "online")
    assert feed.due(1000) == []  # sent 1 s ago: not yet
    assert feed.due(5000) == ["D", "C"]  # the budget: two a flush
    feed.mark("D", "online")  # moved again: to the back of the line, behind B and A
    assert feed.due(6000) == ["B", "A"]
    assert feed.due(7000) == []  # D went out at 5000
    assert len(feed) == 1
    assert feed.due(10000) == ["D"]


def test_a_change_while_figures_wait_goes_in_the_next_flush() -> None:
    feed = LinkFeed(every_ms=5000, budget=0)
    feed.mark("A", "online")
    feed.due(0)
    feed.mark("A", "online")
    assert feed.due(9000) == []  # no budget for figures at all
    feed.mark("A", "offline")
    assert feed.due(9001) == ["A"]
    assert len(feed) == 0


def test_a_change_undone_before_the_flush_is_still_sent() -> None:
    """Degraded and back within the second: what shows now goes out, not a stale entry."""
    feed = LinkFeed(every_ms=5000, budget=0)
    feed.mark("A", "online")
    feed.due(0)
    feed.mark("A", "degraded")
    feed.mark("A", "online")
    assert feed.due(100) == ["A"]
    feed.mark("A", "online")
    assert feed.due(200) == []  # figures alone again, and no budget


def test_with_a_gap_no_site_is_sent_twice_within_it() -> None:
    """A site's own sessions get at most one frame a second: a change waits out the gap."""
    feed = LinkFeed(every_ms=5000, budget=5, gap_ms=1000)
    feed.mark("A", "online")
    feed.mark("B", "online")
    assert feed.due(0) == ["A", "B"]
    feed.mark("A", "degraded")
    assert feed.due(400) == []  # A went out 400 ms ago
    feed.mark("B", "offline")
    assert feed.due(1000) == ["A", "B"]
    assert feed.due(1100) == []
