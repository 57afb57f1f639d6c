"""The outbox pump without a broker: seq order, a bounded window, delivery on PUBACK only."""

from __future__ import annotations

import paho.mqtt.client as mqtt

from contract.clock import ManualClock
from contract.events import ConsumableEmpty
from contract.topics import Topics
from controller.mqtt.outbox_pump import MARK_AFTER_S, MARK_BATCH_WINDOWS, OutboxPump
from controller.queue.outbox import emit
from controller.queue.store import Store
from tests.mqtt.kit import ROOT, STATION


class Wire:
    """Stands in for a connection: records publishes, hands out message ids."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, int]] = []  # (mid, topic, seq)
        self.up = True

    def publish(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo | None:
        if not self.up:
            return None
        info = mqtt.MQTTMessageInfo(len(self.sent) + 1)
        seq = int(payload.split(b'"seq":')[1].split(b",")[0])
        self.sent.append((info.mid, topic, seq))
        return info


def pump_with_events(store: Store, clock: ManualClock, count: int, window: int) -> OutboxPump:
    with store.db.transaction() as tx:
        for n in range(count):
            emit(tx, None, ConsumableEmpty(f"c{n}"), clock.now())
    return OutboxPump(store.outbox, Topics(ROOT, STATION), clock, window)


def test_the_window_bounds_what_is_in_flight_and_order_is_kept(
    store: Store, clock: ManualClock
) -> None:
    pump, wire = pump_with_events(store, clock, 10, window=4), Wire()

    assert pump.fill(wire.publish) == 4
    assert pump.fill(wire.publish) == 0  # full until a PUBACK
    pump.acked(2, ok=True)
    pump.acked(1, ok=True)
    assert pump.fill(wire.publish) == 2

    assert [seq for _, _, seq in wire.sent] == [1, 2, 3, 4, 5, 6]
    assert {topic for _, topic, _ in wire.sent} == {f"{ROOT}/{STATION}/event/consumable.empty"}
    assert store.outbox.pending_count() == 10  # nothing is delivered before flush
    assert pump.flush() == 2
    assert [e.seq for e in store.outbox.pending(0, 100)] == [3, 4, 5, 6, 7, 8, 9, 10]


def test_nothing_is_sent_while_the_connection_is_down(store: Store, clock: ManualClock) -> None:
    pump, wire = pump_with_events(store, clock, 3, window=5), Wire()
    wire.up = False

    assert pump.fill(wire.publish) == 0
    assert pump.in_flight == 0


def test_a_new_connection_resends_from_the_oldest_undelivered(
    store: Store, clock: ManualClock
) -> None:
    pump, wire = pump_with_events(store, clock, 5, window=3), Wire()
    pump.fill(wire.publish)  # 1, 2, 3
    pump.acked(1, ok=True)
    pump.acked(2, ok=False)  # the broker refused 2: not delivered
    pump.flush()

    pump.restart()
    pump.acked(3, ok=True)  # a late PUBACK from the old connection means nothing now
    pump.fill(wire.publish)

    assert [seq for _, _, seq in wire.sent] == [1, 2, 3, 2, 3, 4]
    assert pump.flush() == 0
    assert [e.seq for e in store.outbox.pending(0, 100)] == [2, 3, 4, 5]


def test_marks_are_batched_until_a_batch_is_full_the_window_empties_or_time_passes(
    store: Store, clock: ManualClock
) -> None:
    window = 2
    batch = MARK_BATCH_WINDOWS * window
    pump, wire = pump_with_events(store, clock, batch + 5, window=window), Wire()
    assert not pump.flush_due(0.0)  # nothing acknowledged: nothing to mark

    pump.fill(wire.publish)
    pump.acked(1, ok=True)
    now = pump._unmarked_since
    assert not pump.flush_due(now)  # one still in flight, the batch not full
    assert pump.flush_due(now + MARK_AFTER_S)  # but not kept waiting for long
    pump.acked(2, ok=True)
    assert pump.flush_due(now)  # nothing in flight: mark at once
    assert pump.flush() == 2

    for _ in range(batch):
        pump.fill(wire.publish)
        pump.acked(wire.sent[-2][0], ok=True)
    assert pump.in_flight == 1
    assert pump.flush_due(now)  # a full batch, even with one in flight
    assert pump.flush() == batch
    assert store.outbox.pending_count() == batch + 5 - 2 - batch  # one of them in flight


def test_a_replay_sends_the_events_again_from_its_first_seq_and_none_twice_at_once(
    store: Store, clock: ManualClock
) -> None:
    pump, wire = pump_with_events(store, clock, 6, window=3), Wire()
    pump.fill(wire.publish)
    for mid in (1, 2, 3):
        pump.acked(mid, ok=True)
    pump.flush()
    pump.fill(wire.publish)  # 4, 5, 6 in flight
    pump.acked(4, ok=True)
    pump.flush()

    assert store.outbox.replay(2, 5) == 3  # 2, 3, 4 were delivered; 5 is still in flight
    pump.rewind(2)
    pump.fill(wire.publish)

    assert [seq for _, _, seq in wire.sent] == [1, 2, 3, 4, 5, 6, 2]  # window: 5, 6, 2
    for mid in (5, 6, 7):
        pump.acked(mid, ok=True)
    pump.fill(wire.publish)
    assert [seq for _, _, seq in wire.sent][7:] == [3, 4]
