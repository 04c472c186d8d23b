"""The pacing of ``links`` entries: what is shown goes at once, figures alone wait their turn."""

from controlroom.service.link_feed import LinkFeed


def _feed(every_ms: int = 5000, budget: int = 2) -> tuple[LinkFeed, dict[str, str]]:
    return LinkFeed(every_ms, budget), {}


def test_a_first_entry_and_a_change_of_state_go_out_at_once_past_the_budget() -> None:
    feed, shown = _feed(budget=1)
    for code in "ABC":
        shown[code] = "online"
        feed.mark(code)
    assert feed.due(0, shown.__getitem__) == ["A", "B", "C"]  # never sent: all at once
    for code in "ABC":
        shown[code] = "degraded"
        feed.mark(code)
    assert feed.due(10, shown.__getitem__) == ["A", "B", "C"]  # changed: all at once
    assert len(feed) == 0


def test_figures_alone_wait_for_their_period_and_the_budget_oldest_first() -> None:
    feed, shown = _feed(every_ms=5000, budget=2)
    for code in "ABCD":
        shown[code] = "online"
        feed.mark(code)
    feed.due(0, shown.__getitem__)
    for code in "DCBA":  # figures moved, D first
        feed.mark(code)
    assert feed.due(1000, shown.__getitem__) == []  # sent 1 s ago: not yet
    assert feed.due(5000, shown.__getitem__) == ["D", "C"]  # the budget: two a flush
    feed.mark("D")  # moved again: to the back of the line, behind B and A
    assert feed.due(6000, shown.__getitem__) == ["B", "A"]
    assert feed.due(7000, shown.__getitem__) == []  # D went out at 5000
    assert feed.due(10000, shown.__getitem__) == ["D"]


def test_a_change_while_figures_wait_goes_in_the_next_flush() -> None:
    feed, shown = _feed(every_ms=5000, budget=0)
    shown["A"] = "online"
    feed.mark("A")
    feed.due(0, shown.__getitem__)
    feed.mark("A")
    assert feed.due(9000, shown.__getitem__) == []  # no budget for figures at all
    shown["A"] = "offline"
    assert feed.due(9001, shown.__getitem__) == ["A"]
