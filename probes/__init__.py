"""Active probes of network endpoints: ICMP echo and TCP connect, at scale.

Generic: nothing here knows what an endpoint is for. A :class:`~probes.prober.Prober`
probes every target once per interval from one shared ICMP socket (and bounded TCP
connects), spread over the interval, and hands each result (an RTT or a loss) to a
callback; :class:`~probes.window.ProbeWindow` turns results into loss and RFC 3550
jitter over a sliding window.
"""
