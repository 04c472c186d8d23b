// The answering side of a hub test call, in a site's browser (PROTOCOL.md "Test calls").
// The hub offers (all ICE candidates inside, no trickle); we answer with generated
// media (a test card and a quiet tone: no camera or microphone prompt), echo every
// message on the "probe" data channel at once, and report what we receive.

const STATS_EVERY_MS = 1000;
const GATHER_TIMEOUT_MS = 3000;

export class TestCallAnswerer {
  constructor(conn, siteCode) {
    this.conn = conn;
    this.siteCode = siteCode || "";
    this.calls = new Map(); // call id -> {pc, timer, stop}
    this.onFrame = (e) => this.handle(e.detail);
    conn.addEventListener("frame", this.onFrame);
  }

  destroy() {
    this.conn.removeEventListener("frame", this.onFrame);
    for (const id of [...this.calls.keys()]) this.close(id);
  }

  handle(frame) {
    if (frame.type === "rtc.offer") {
      this.answer(frame).catch((err) => {
        console.error("test call failed", err);
        this.conn.rawSend({ type: "rtc.end", call: frame.call, reason: `browser: ${err.message || err}` });
        this.close(frame.call);
      });
    } else if (frame.type === "rtc.end") {
      this.close(frame.call);
    }
  }

  async answer(frame) {
    this.close(frame.call);
    const pc = new RTCPeerConnection({ iceServers: [] });
    const media = generatedMedia(this.siteCode);
    const call = { pc, stop: media.stop, timer: null };
    this.calls.set(frame.call, call);
    pc.ondatachannel = (e) => {
      const ch = e.channel;
      if (ch.label === "probe") ch.onmessage = (m) => ch.readyState === "open" && ch.send(m.data);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" || pc.connectionState === "closed") this.close(frame.call);
    };
    await pc.setRemoteDescription({ type: "offer", sdp: frame.sdp });
    for (const track of media.stream.getTracks()) pc.addTrack(track, media.stream);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    this.conn.rawSend({ type: "rtc.answer", call: frame.call, sdp: pc.localDescription.sdp });
    call.timer = setInterval(() => this.report(frame.call), STATS_EVERY_MS);
  }

  async report(callId) {
    const call = this.calls.get(callId);
    if (!call) return;
    const out = {};
    const stats = await call.pc.getStats();
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && (s.kind === "audio" || s.kind === "video")) {
        const k = s.kind;
        out[`${k}_packets`] = s.packetsReceived ?? 0;
        out[`${k}_lost`] = s.packetsLost ?? 0;
        if (s.jitter != null) out[`${k}_jitter_ms`] = s.jitter * 1000;
        if (k === "audio" && s.audioLevel != null) out.audio_level = s.audioLevel;
        if (k === "video") {
          if (s.framesPerSecond != null) out.fps = s.framesPerSecond;
          if (s.frameWidth != null) out.width = s.frameWidth;
          if (s.frameHeight != null) out.height = s.frameHeight;
        }
      } else if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime != null) {
        out.rtt_ms = s.currentRoundTripTime * 1000;
      }
    });
    this.conn.rawSend({ type: "rtc.stats", call: callId, stats: out });
  }

  close(callId) {
    const call = this.calls.get(callId);
    if (!call) return;
    this.calls.delete(callId);
    clearInterval(call.timer);
    call.stop();
    try {
      call.pc.close();
    } catch {
      /* already closed */
    }
  }
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_TIMEOUT_MS);
  });
}

/** A 640×360 test card with a moving bar and a quiet 1 kHz tone. */
function generatedMedia(label) {
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext("2d");
  let x = 0;
  const draw = () => {
    g.fillStyle = "#123";
    g.fillRect(0, 0, 640, 360);
    g.fillStyle = "#3c6";
    g.fillRect(x, 150, 60, 60);
    g.fillStyle = "#fff";
    g.font = "bold 48px sans-serif";
    g.fillText(label, 24, 70);
    g.font = "28px monospace";
    g.fillText(new Date().toISOString().slice(11, 23), 24, 320);
    x = (x + 8) % 640;
  };
  draw();
  const timer = setInterval(draw, 1000 / 25);
  const stream = canvas.captureStream(25);
  let audio = null;
  try {
    audio = new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 1000;
    gain.gain.value = 0.1;
    const dest = audio.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    osc.start();
    audio.resume().catch(() => {});
    for (const t of dest.stream.getAudioTracks()) stream.addTrack(t);
  } catch (err) {
    console.warn("no generated audio", err);
  }
  return {
    stream,
    stop() {
      clearInterval(timer);
      for (const t of stream.getTracks()) t.stop();
      if (audio) audio.close().catch(() => {});
    },
  };
}
