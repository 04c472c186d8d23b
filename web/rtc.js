// The answering side of a hub test call, in a site's browser (PROTOCOL.md "Test calls").
// The hub offers (all ICE candidates inside, no trickle); we answer with the real
// microphone and camera (getUserMedia), or generated media (a test card and a quiet
// tone) when they cannot be had, wait for ICE gathering to complete (aiortc does not
// trickle), echo every message on the "probe" data channel at once, and report what
// we receive as rtc.stats (the keys of PROTOCOL's test-call section in docs/protocol.md).
// The session says it can answer with hello.caps = ["rtc"] (an extension).

const STATS_EVERY_MS = 500;
const GATHER_TIMEOUT_MS = 3000;

export class TestCallAnswerer {
  constructor(conn, siteCode) {
    this.conn = conn;
    this.siteCode = siteCode || "";
    this.calls = new Map(); // call id -> {pc, timer, stop}
    this.onFrame = (e) => this.handle(e.detail);
    conn.caps = ["rtc"];
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
    // The hub sends its TURN server (ice_servers) when it has one: a site behind NAT needs it.
    const pc = new RTCPeerConnection({ iceServers: Array.isArray(frame.ice_servers) ? frame.ice_servers : [] });
    const media = await deviceMedia() || generatedMedia(this.siteCode);
    const call = { pc, stop: media.stop, timer: null };
    this.calls.set(frame.call, call);
    pc.ontrack = (e) => {
      // Remote audio is decoded (and its level measured) only while something plays it.
      if (e.track.kind !== "audio") return;
      const sink = new Audio();
      sink.srcObject = new MediaStream([e.track]);
      sink.volume = 0.01;
      sink.play().catch(() => {});
      call.sink = sink;
      call.meter = audioMeter(e.track);
    };
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
        const got = s.packetsReceived ?? 0;
        const lost = Math.max(0, s.packetsLost ?? 0);
        out[`${k}_in_packets`] = got;
        out[`${k}_in_lost`] = lost;
        out[`${k}_in_loss_pct`] = got + lost > 0 ? (100 * lost) / (got + lost) : 0;
        if (s.jitter != null) out[`${k}_in_jitter_ms`] = s.jitter * 1000;
        if (k === "audio") {
          if (s.audioLevel != null) out.audio_level = s.audioLevel;
          if (s.totalSamplesDuration > 0 && s.totalAudioEnergy != null) {
            // Mean power over the call; +3 dB so that a full-scale sine reads 0 dBFS.
            const power = s.totalAudioEnergy / s.totalSamplesDuration;
            out.audio_level_dbfs = power > 0 ? 10 * Math.log10(power) + 3.01 : -120;
            out.audio_silent = out.audio_level_dbfs < -55;
          }
        }
        if (k === "video") {
          if (s.framesPerSecond != null) out.video_fps = s.framesPerSecond;
          else if (s.framesDecoded != null) out.video_frames = s.framesDecoded;
          if (s.frameWidth != null) out.video_width = s.frameWidth;
          if (s.frameHeight != null) out.video_height = s.frameHeight;
        }
      } else if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime != null) {
        out.rtt_ms = s.currentRoundTripTime * 1000;
      }
    });
    if (call.meter) Object.assign(out, call.meter.summary());
    this.conn.rawSend({ type: "rtc.stats", call: callId, stats: out });
  }

  close(callId) {
    const call = this.calls.get(callId);
    if (!call) return;
    this.calls.delete(callId);
    clearInterval(call.timer);
    call.stop();
    if (call.sink) call.sink.srcObject = null;
    if (call.meter) call.meter.stop();
    try {
      call.pc.close();
    } catch {
      /* already closed */
    }
  }
}

/** Level of received audio through WebAudio: RMS over the call and the loudest 100 ms
 * window, in dBFS where a full-scale sine is 0 (as media/meter.py measures). */
function audioMeter(track) {
  let sumSq = 0;
  let count = 0;
  let peak = 0;
  let audio;
  try {
    audio = new AudioContext();
  } catch {
    return null;
  }
  const analyser = audio.createAnalyser();
  analyser.fftSize = 2048;
  audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  audio.resume().catch(() => {});
  const buf = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let sq = 0;
    for (const v of buf) sq += v * v;
    sumSq += sq;
    count += buf.length;
    peak = Math.max(peak, Math.sqrt(sq / buf.length));
  }, 100);
  const db = (rms) => (rms > 0 ? Math.max(-120, 20 * Math.log10(Math.SQRT2 * rms)) : -120);
  return {
    summary() {
      const level = count ? db(Math.sqrt(sumSq / count)) : -120;
      const peakDb = db(peak);
      return { audio_level_dbfs: level, audio_peak_dbfs: peakDb, audio_silent: peakDb < -55 };
    },
    stop() {
      clearInterval(timer);
      audio.close().catch(() => {});
    },
  };
}

/** The site's own microphone and camera, or null when the browser cannot give them. */
async function deviceMedia() {
  if (!navigator.mediaDevices?.getUserMedia) return null;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 } },
    });
    return { stream, stop() { for (const t of stream.getTracks()) t.stop(); } };
  } catch (err) {
    console.warn("no camera or microphone; answering with generated media", err);
    return null;
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
