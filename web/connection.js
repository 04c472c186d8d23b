// One WebSocket session to the hub (PROTOCOL.md): hello, welcome, catch-up, live
// events, ping/pong, commands with ack/error, reconnect with backoff and resume.

const SUBPROTOCOL = "controlroom.v1.json";
const CLIENT = "web/1";
const CLOSE_UNAUTHENTICATED = 4001;
const CLOSE_FORBIDDEN = 4003;
const COMMAND_TIMEOUT_MS = 15000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15000;
const OFFLINE_AFTER_ATTEMPTS = 4;

export class CommandError extends Error {
  constructor(code, message, field = null, textCode = null) {
    super(message || code);
    this.code = code;
    this.field = field;
    // The refusal as a code with parameters, rendered in the reader's language.
    this.textCode = textCode;
  }
}

/**
 * status: "connecting" | "connected" | "reconnecting" | "offline".
 * Events (EventTarget): "status" {detail: status}, "welcome" {detail: frame},
 * "unauthenticated", "frame" {detail: frame} for frames it does not handle itself,
 * "event" {detail: frame} for every event frame (after the store has applied it).
 */
export class Connection extends EventTarget {
  constructor({ token, conference, store, url }) {
    super();
    this.token = token;
    this.conference = conference;
    this.store = store;
    this.url = url || `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    this.ws = null;
    this.status = "connecting";
    this.attempt = 0;
    this.clockOffset = 0; // server time minus local time, ms
    this.welcome = null;
    this.pending = new Map(); // id -> {frame, resolve, reject, timer, sent}
    this.stopped = false;
    this.retryTimer = null;
    this.onOnline = () => this.retryNow();
    window.addEventListener("online", this.onOnline);
  }

  /** Server time now, in Unix milliseconds. */
  now() {
    return Date.now() + this.clockOffset;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    window.removeEventListener("online", this.onOnline);
    if (this.ws) this.ws.close(1000, "logout");
    this.ws = null;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new CommandError("closed", "connection closed"));
    }
    this.pending.clear();
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  open() {
    clearTimeout(this.retryTimer);
    let ws;
    try {
      ws = new WebSocket(this.url, [SUBPROTOCOL]);
    } catch (err) {
      console.error(err);
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.synced = false;
    ws.onopen = () => {
      this.rawSend({
        type: "hello",
        token: this.token,
        conference: this.conference,
        resume_after: this.store.seq,
        client: CLIENT,
        ...(this.caps ? { caps: this.caps } : {}),
      });
    };
    ws.onmessage = (msg) => {
      let frame;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        console.warn("undecodable frame");
        return;
      }
      if (frame && typeof frame === "object") this.handle(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.synced = false;
      if (this.stopped) return;
      if (ev.code === CLOSE_UNAUTHENTICATED || ev.code === CLOSE_FORBIDDEN) {
        this.stopped = true;
        this.setStatus("offline");
        this.dispatchEvent(new CustomEvent("unauthenticated", { detail: ev.code }));
        return;
      }
      this.scheduleRetry();
    };
    ws.onerror = () => {}; // onclose follows and handles it
  }

  scheduleRetry() {
    if (this.stopped) return;
    this.attempt += 1;
    const offline = !navigator.onLine || this.attempt >= OFFLINE_AFTER_ATTEMPTS;
    this.setStatus(offline ? "offline" : "reconnecting");
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.attempt - 1));
    const delay = cap / 2 + Math.random() * (cap / 2); // "equal jitter"
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  retryNow() {
    if (this.stopped || this.ws) return;
    this.attempt = 0;
    this.open();
  }

  rawSend(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  handle(frame) {
    switch (frame.type) {
      case "ping":
        this.rawSend({ type: "pong", n: frame.n });
        break;
      case "welcome":
        this.welcome = frame;
        if (typeof frame.server_time === "number") this.clockOffset = frame.server_time - Date.now();
        this.dispatchEvent(new CustomEvent("welcome", { detail: frame }));
        break;
      case "snapshot":
        this.store.loadSnapshot(frame.seq, frame.state);
        break;
      case "event":
        this.store.applyEvent(frame); // ignores seq <= last seen
        this.dispatchEvent(new CustomEvent("event", { detail: frame }));
        break;
      case "synced":
        this.store.synced(frame.seq);
        if (!this.store.loaded) {
          this.store.loaded = true;
          this.store.notify(null);
        }
        this.synced = true;
        this.attempt = 0;
        this.setStatus("connected");
        this.flushPending();
        break;
      case "links":
        this.store.applyLinks(frame);
        break;
      case "queue":
        this.store.applyQueue(frame);
        break;
      case "ack":
      case "error":
        if (frame.id != null && this.pending.has(String(frame.id))) {
          this.settle(frame);
        } else if (frame.type === "error") {
          console.warn("hub error", frame);
          this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
        }
        break;
      default:
        this.dispatchEvent(new CustomEvent("frame", { detail: frame }));
    }
  }

  settle(frame) {
    const id = String(frame.id);
    const p = this.pending.get(id);
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (frame.type === "ack") p.resolve(frame.result || {});
    else p.reject(new CommandError(frame.code, frame.message, frame.field, frame.text_code || null));
  }

  /** Sends a command; resolves with the ack's result, rejects with a CommandError. */
  send(name, args = {}) {
    const id = crypto.randomUUID();
    const frame = { type: "cmd", id, name, args };
    return new Promise((resolve, reject) => {
      const p = { frame, resolve, reject, sent: false, timer: null };
      p.timer = setTimeout(() => {
        // No answer in time: the caller is told; the hub may still have taken it.
        this.pending.delete(id);
        reject(new CommandError("timeout", null));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, p);
      if (this.synced) p.sent = this.rawSend(frame);
    });
  }

  /** After (re)connecting: (re)send every command not yet answered (same id). */
  flushPending() {
    for (const p of this.pending.values()) p.sent = this.rawSend(p.frame);
  }
}
