"""RTP/RTCP statistics of one peer connection, both directions, in plain units.

Rules:

- ``in``: what this end received (its own receiver counts: packets, lost, jitter).
  ``out``: what the far end received of this end's media, from the far end's RTCP
  receiver reports (packets, lost, fraction lost, jitter) and the RTT this end
  computed from them.
- aiortc reports jitter in RTP clock units; it is converted to milliseconds with
  the negotiated codec's clock rate (48 kHz Opus, 90 kHz video when unknown).
- Loss is a percentage of the packets expected: ``lost / (received + lost)``;
  RTCP's 8-bit fraction lost is ``n / 256`` of the last report interval.
- Keys are flat and numeric (``audio_in_loss_pct``, ``video_out_jitter_ms``,
  ``rtcp_rtt_ms``); a value not yet known is absent, never zero.
"""

from __future__ import annotations

from typing import Any

from aiortc import RTCPeerConnection

DEFAULT_CLOCK = {"audio": 48_000, "video": 90_000}


def _clock_rates(pc: RTCPeerConnection) -> dict[str, int]:
    rates = dict(DEFAULT_CLOCK)
    for transceiver in pc.getTransceivers():
        codecs = getattr(transceiver, "_codecs", None) or []
        if codecs and getattr(codecs[0], "clockRate", None):
            rates[transceiver.kind] = int(codecs[0].clockRate)
    return rates


def loss_pct(received: int, lost: int) -> float:
    """Lost packets as a percentage of the packets expected (0 when nothing expected)."""
    lost = max(0, lost)
    expected = received + lost
    return round(100.0 * lost / expected, 2) if expected > 0 else 0.0


async def rtp_summary(pc: RTCPeerConnection) -> dict[str, Any]:
    """Both directions of every media kind, from ``pc.getStats()``."""
    report = await pc.getStats()
    rates = _clock_rates(pc)
    out: dict[str, Any] = {}
    rtts: list[float] = []
    for stat in report.values():
        kind = getattr(stat, "kind", None)
        if kind not in rates:
            continue
        ms_per_unit = 1000.0 / rates[kind]
        if stat.type == "inbound-rtp":
            out[f"{kind}_in_packets"] = stat.packetsReceived
            out[f"{kind}_in_lost"] = max(0, stat.packetsLost)
            out[f"{kind}_in_loss_pct"] = loss_pct(stat.packetsReceived, stat.packetsLost)
            out[f"{kind}_in_jitter_ms"] = round(stat.jitter * ms_per_unit, 2)
        elif stat.type == "remote-inbound-rtp":
            out[f"{kind}_out_packets"] = max(0, stat.packetsReceived)
            out[f"{kind}_out_lost"] = max(0, stat.packetsLost)
            out[f"{kind}_out_loss_pct"] = loss_pct(stat.packetsReceived, stat.packetsLost)
            out[f"{kind}_out_fraction_lost_pct"] = round(100.0 * stat.fractionLost / 256, 2)
            out[f"{kind}_out_jitter_ms"] = round(stat.jitter * ms_per_unit, 2)
            if stat.roundTripTime is not None:
                out[f"{kind}_rtcp_rtt_ms"] = round(stat.roundTripTime * 1000, 1)
                rtts.append(stat.roundTripTime * 1000)
        elif stat.type == "outbound-rtp":
            out[f"{kind}_sent_packets"] = stat.packetsSent
    if rtts:
        out["rtcp_rtt_ms"] = round(min(rtts), 1)
    return out
