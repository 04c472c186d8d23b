"""The run-script: start, advance, finish, overrun, planned against actual."""

from __future__ import annotations

import pytest

from controlroom.domain import Conflict, NotFound, next_deadline, view

from .conftest import MIN, OPERATOR, T0, World


def test_items_are_in_order(world: World) -> None:
    """The agenda lists items by their order, whatever the input order."""
    assert [i.item_id for i in world.state.agenda.items] == ["A1", "A2", "A3"]


def test_start_an_item(world: World) -> None:
    """agenda.start makes the item current and records its actual start."""
    (event,) = world.do("agenda.start", {"item_id": "A2"}, OPERATOR, T0 + 5)
    assert event.name == "agenda.started"
    assert {k: event.data[k] for k in ("item_id", "planned_start", "started_at", "site")} == {
        "item_id": "A2",
        "planned_start": T0 + 10 * MIN,
        "started_at": T0 + 5,
        "site": "HN",
    }
    assert world.state.agenda.current == "A2"


def test_start_unknown_is_not_found(world: World) -> None:
    """Starting a missing item is not_found on args.item_id."""
    with pytest.raises(NotFound) as err:
        world.do("agenda.start", {"item_id": "A9"}, OPERATOR)
    assert err.value.field == "args.item_id"


def test_start_current_again_conflicts(world: World) -> None:
    """Starting the item already running is a conflict."""
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR)
    with pytest.raises(Conflict):
        world.do("agenda.start", {"item_id": "A1"}, OPERATOR)


def test_start_another_finishes_the_current(world: World) -> None:
    """Jumping to another item finishes the current one first."""
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR, T0)
    events = world.do("agenda.start", {"item_id": "A3"}, OPERATOR, T0 + 90_500)
    assert world.names(events) == ["agenda.finished", "agenda.started"]
    assert events[0].data["item_id"] == "A1" and events[0].data["duration_s"] == 90
    assert world.state.agenda.current == "A3"


def test_advance_walks_the_script(world: World) -> None:
    """advance starts the first item, then finishes and starts the next, then finishes the last."""
    assert world.names(world.do("agenda.advance", {}, OPERATOR)) == ["agenda.started"]
    assert world.state.agenda.current == "A1"
    assert world.names(world.do("agenda.advance", {}, OPERATOR)) == [
        "agenda.finished",
        "agenda.started",
    ]
    assert world.state.agenda.current == "A2"
    world.do("agenda.advance", {}, OPERATOR)
    assert world.names(world.do("agenda.advance", {}, OPERATOR)) == ["agenda.finished"]
    assert world.state.agenda.current is None
    with pytest.raises(Conflict) as err:
        world.do("agenda.advance", {}, OPERATOR)
    assert err.value.code == "conflict"


def test_advance_without_current_starts_first_never_started(world: World) -> None:
    """With nothing running, advance picks the first item that never started."""
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR)
    world.do("agenda.finish", {}, OPERATOR)
    (event,) = world.do("agenda.advance", {}, OPERATOR)
    assert event.data["item_id"] == "A2"


def test_finish_without_current_conflicts(world: World) -> None:
    """finish with nothing running is a conflict."""
    with pytest.raises(Conflict):
        world.do("agenda.finish", {}, OPERATOR)


def test_overrun_once(world: World) -> None:
    """An item still running past its duration raises agenda.overrun once."""
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR, T0)
    assert next_deadline(world.state) == T0 + 10 * MIN
    assert world.tick(T0 + 10 * MIN - 1) == []
    (event,) = world.tick(T0 + 10 * MIN + 2500)
    assert event.name == "agenda.overrun"
    assert event.data == {"item_id": "A1", "site": "TW", "planned_min": 10, "elapsed_s": 602}
    assert world.tick(T0 + 30 * MIN) == [] and next_deadline(world.state) is None


def test_finished_item_never_overruns(world: World) -> None:
    """Finishing in time leaves no agenda timer."""
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR, T0)
    world.do("agenda.finish", {}, OPERATOR, T0 + MIN)
    assert next_deadline(world.state) is None


def test_snapshot_has_planned_and_actual(world: World) -> None:
    """The agenda map lists items with actual start and end, and the current item."""
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR, T0 + 1)
    world.do("agenda.advance", {}, OPERATOR, T0 + 2)
    agenda = view(world.state, OPERATOR)["agenda"]
    assert agenda["current"] == "A2"
    first = agenda["items"][0]
    assert (first["item_id"], first["actual_start"], first["actual_end"]) == ("A1", T0 + 1, T0 + 2)
    assert {
        "order",
        "planned_start",
        "duration_min",
        "content",
        "presenter",
        "presenter_title",
        "site",
    } <= set(first)
