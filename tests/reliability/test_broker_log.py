"""broker_log: what mosquitto acknowledged and lost, from lines as mosquitto 2.0 writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.broker_log import unconfirmed_at_kills

pytestmark = pytest.mark.reliability
TOPIC = "ektp/v1/st/event/job.rejected"
LOG = f"""\
1: mosquitto version 2.0.11 starting
2: Received PUBLISH from st (d0, q1, r0, m1, '{TOPIC}', ... (249 bytes))
2: Sending PUBLISH to rec (d0, q1, r0, m10, '{TOPIC}', ... (249 bytes))
2: Sending PUBLISH to sniffer (d0, q0, r0, m0, '{TOPIC}', ... (249 bytes))
2: Sending PUBACK to st (m1, rc0)
2: Received PUBACK from rec (Mid: 10, RC:0)
3: Received PUBLISH from st (d0, q1, r0, m2, '{TOPIC}', ... (250 bytes))
3: Sending PUBACK to st (m2, rc0)
3: Sending PUBLISH to rec (d0, q1, r0, m11, '{TOPIC}', ... (250 bytes))
3: Received PUBACK from rec (Mid: 11, RC:0)
4: Received PUBLISH from st (d0, q1, r0, m3, '{TOPIC}', ... (251 bytes))
4: Sending PUBLISH to rec (d0, q1, r0, m12, '{TOPIC}', ... (251 bytes))
4: Sending PUBACK to st (m3, rc0)
4: Received PUBLISH from st (d0, q1, r0, m4, '{TOPIC}', ... (252 bytes))
4: Sending PUBACK to st (m4, rc0)
4: Received PUBLISH from st (d0, q1, r0, m5, '{TOPIC}', ... (253 bytes))
4: Received PUBLISH from other (d0, q1, r0, m6, '{TOPIC}', ... (254 bytes))
4: Sending PUBACK to other (m6, rc0)
5: mosquitto version 2.0.11 starting
6: Received PUBLISH from st (d0, q1, r0, m7, '{TOPIC}', ... (255 bytes))
6: Sending PUBACK to st (m7, rc0)
"""


def test_only_what_was_acknowledged_and_unconfirmed_when_the_broker_was_killed(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mosquitto.log"
    log.write_text(LOG)
    assert unconfirmed_at_kills(log, "st", "rec") == {
        (TOPIC, 251): 1,  # forwarded, acknowledged, the subscriber's PUBACK never came
        (TOPIC, 252): 1,  # acknowledged while the subscriber was away, never sent
    }  # 249, 250 (queued, then sent): confirmed; 253: never acknowledged; 254: another
    # client's; 255: the life has not ended
