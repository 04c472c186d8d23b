"""aiortc test calls, knowing nothing of conferences (imports nothing of controlroom).

- ``generators``: a tone (or silence) and a numbered test pattern;
- ``meter``: level, silence, frame rate and freezing of received media;
- ``stats``: RTP/RTCP both ways in plain units (jitter in ms);
- ``caller``: the hub's side (offer, probes on the ``probe`` data channel, metrics);
- ``answerer``: the site's side (answer, echo, own media, what it received);
- ``grading``: MOS by the simplified E-model and a pass/warn/fail verdict with
  reasons in Vietnamese and English;
- ``loopback``: both ends in one process.
"""
