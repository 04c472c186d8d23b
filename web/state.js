// The client-side store: the snapshot, then each event applied to a local copy
// of the state by the appliers of appliers.js, which mirror the hub's own
// (controlroom/domain/*.py) so that the local copy equals a fresh snapshot.

import { LinkHistory } from "./linkring.js";
import { APPLIERS } from "./appliers.js";

export const OPEN_FAULT_STATES = new Set(["open", "acknowledged", "reopened"]);
export const OPEN_SPEAK_STATES = new Set(["requested", "approved", "on_floor"]);

function emptyState() {
  return {
    conference: { id: "", title: "", phase: "planned" },
    sites: {},
    faults: {},
    speaking: { queue: [], on_floor: null, floor: [], requests: {} },
    agenda: { items: [], current: null },
    testcalls: {},
    announcements: {},
    threads: {},
    cues: {},
  };
}

export class Store {
  constructor(viewer = {}) {
    this.viewer = viewer; // {role, site}
    this.state = emptyState();
    this.seq = null; // last seq seen; null until the first snapshot
    this.loaded = false;
    this.listeners = new Set();
    // Revision counters per topic, so views redraw only what changed.
    this.revs = { conference: 0, sites: 0, links: 0, faults: 0, speaking: 0, agenda: 0, testcalls: 0, announcements: 0, threads: 0, cues: 0, conclusions: 0, minutes: 0 };
    this.history = new LinkHistory(); // short per-site ring of link samples (sparklines)
  }

  bump(...topics) {
    for (const k of topics) this.revs[k] = (this.revs[k] || 0) + 1;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(event) {
    for (const fn of this.listeners) {
      try {
        fn(this.state, event);
      } catch (err) {
        console.error("view failed", err);
      }
    }
  }

  loadSnapshot(seq, state) {
    const s = Object.assign(emptyState(), structuredClone(state));
    s.speaking = Object.assign({ queue: [], on_floor: null, floor: [], requests: {} }, s.speaking);
    if (!Array.isArray(s.speaking.floor)) {
      s.speaking.floor = s.speaking.on_floor ? [s.speaking.on_floor] : [];
    }
    this.state = s;
    this.seq = seq;
    this.loaded = true;
    this.bump(...Object.keys(this.revs));
    this.notify(null);
  }

  /** Applies an event unless already seen; returns whether it was applied. */
  applyEvent(ev) {
    if (this.seq !== null && ev.seq <= this.seq) return false;
    const handler = APPLIERS[ev.name];
    if (handler) handler(this, ev);
    this.bump(TOPICS[ev.name.split(".")[0]] || "conference");
    if (ev.name.startsWith("link.")) this.bump("links");
    this.seq = ev.seq;
    this.notify(ev);
    return true;
  }

  /** After `synced`: every visible event up to seq has been seen. */
  synced(seq) {
    if (this.seq === null || seq > this.seq) this.seq = seq;
  }

  /** A coalesced `links` frame (no seq): live measurements per site. */
  applyLinks(frame) {
    let changed = false;
    const at = frame.at || Date.now();
    for (const [code, link] of Object.entries(frame.sites || {})) {
      const site = this.state.sites[code];
      if (!site) continue;
      site.link = Object.assign({}, site.link, link);
      this.history.push(code, at, site.link);
      changed = true;
    }
    if (changed) {
      this.bump("links");
      this.notify({ name: "links" });
    }
  }

  /** A `queue` frame (no seq): this site's requests' places in the whole queue. */
  applyQueue(frame) {
    const positions = frame.positions || {};
    for (const r of Object.values(this.state.speaking.requests)) {
      if (r.site === this.viewer.site) r.position = positions[r.request_id] ?? null;
    }
    this.bump("speaking");
    this.notify({ name: "queue" });
  }

  // ---- helpers for views ----
  request(id) {
    return this.state.speaking.requests[id] || null;
  }

  floor() {
    return this.state.speaking.floor.map((id) => this.request(id)).filter(Boolean);
  }

  currentItem() {
    const a = this.state.agenda;
    return a.items.find((i) => i.item_id === a.current) || null;
  }

  nextItem() {
    const a = this.state.agenda;
    const items = [...a.items].sort((x, y) => x.order - y.order);
    if (a.current) {
      const i = items.findIndex((x) => x.item_id === a.current);
      return items[i + 1] || null;
    }
    return items.find((x) => !x.actual_start) || null;
  }

  siteName(code) {
    const site = this.state.sites[code];
    return site ? site.name : code || "";
  }
}

const TOPICS = {
  conference: "conference", site: "sites", link: "sites", fault: "faults", speak: "speaking",
  agenda: "agenda", testcall: "testcalls", campaign: "testcalls", announce: "announcements",
  msg: "threads", cue: "cues", conclusion: "conclusions", minutes: "minutes",
};
