// Alert sounds made with Web Audio (no asset): one per kind, so an ear tells a
// critical fault from a minor one or a message. Each kind can be turned off, and
// everything muted; the choices are remembered across reloads.
// Browsers only let audio start after a user gesture, so the context is resumed
// on the first click or key press.

const KEY = "controlroom.muted";
const KIND_KEY = "controlroom.sound."; // + kind: "off" when that kind is silent

/** The kinds of alert, each with its own tones (Hz). */
export const KINDS = {
  critical: [880, 660],
  escalated: [988, 740, 988, 740],
  major: [660, 550],
  minor: [523],
  message: [659, 880],
  request: [587, 784, 587],
};

export function kindOn(kind) {
  return localStorage.getItem(KIND_KEY + kind) !== "off";
}

export function setKind(kind, on) {
  localStorage.setItem(KIND_KEY + kind, on ? "on" : "off");
}
const MIN_GAP_MS = 1500; // a burst of alerts (e.g. a resume) beeps once

let ctx = null;
let last = 0;
let count = 0;

export function muted() {
  return localStorage.getItem(KEY) === "1";
}

export function setMuted(on) {
  localStorage.setItem(KEY, on ? "1" : "0");
}

/** How many alerts were sounded (or would have been, when muted: not counted). */
export function alertCount() {
  return count;
}

function audio() {
  if (!ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    ctx = new AC();
  }
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  return ctx;
}

for (const ev of ["pointerdown", "keydown"]) {
  window.addEventListener(ev, () => audio(), { capture: true, passive: true });
}

/** Sounds the alert unless muted or just sounded; returns whether it did. */
export function alert(level = "critical") {
  const now = Date.now();
  if (muted() || !kindOn(level) || now - last < MIN_GAP_MS) return false;
  last = now;
  count += 1;
  document.body.dataset.alerts = String(count);
  document.body.dataset.lastAlert = level; // for tests: which kind sounded last
  const ac = audio();
  if (!ac) return true;
  const tones = KINDS[level] || KINDS.critical;
  let at = ac.currentTime + 0.01;
  for (const f of tones) {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = "square";
    osc.frequency.value = f;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.18, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
    osc.connect(gain).connect(ac.destination);
    osc.start(at);
    osc.stop(at + 0.22);
    at += 0.25;
  }
  return true;
}
