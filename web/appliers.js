// One applier per event name, mirroring the hub's (controlroom/domain/*.py): the
// store applies each event to its local copy of the state with these, so that the
// copy equals what a fresh snapshot would hold.

// ---- appliers, one per event name ----

function idNumber(id) {
  const n = Number.parseInt(String(id || "").slice(1), 10);
  return Number.isFinite(n) ? n : 0;
}

function laterId(a, b) {
  return idNumber(a) >= idNumber(b) ? a || "" : b;
}

// As controlroom/domain/threads.py Thread.unread: the other side's messages after a mark.
function countUnread(th) {
  const count = (side) => th.messages.filter((m) => m.side !== side &&
    idNumber(m.message_id) > idNumber(th.read[side])).length;
  th.unread = { site: count("site"), centre: count("centre") };
}

function site(store, ev) {
  return store.state.sites[ev.data.site] || null;
}

function conclusionPart(store, ev) {
  return store.state.conclusions?.[ev.data.conclusion_id]?.parts?.[ev.data.site] || null;
}

function setFloor(sp) {
  sp.on_floor = sp.floor.length ? sp.floor[0] : null;
}

function faultChange(store, ev) {
  const f = store.state.faults[ev.data.fault_id];
  if (!f) return;
  const next = {
    "fault.acknowledged": "acknowledged",
    "fault.resolved": "resolved",
    "fault.confirmed": "confirmed",
    "fault.reopened": "reopened",
  }[ev.name];
  if (next) f.state = next;
  const d = ev.data;
  if (ev.name === "fault.acknowledged" && f.acknowledged_at == null) f.acknowledged_at = ev.at;
  else if (ev.name === "fault.assigned") f.assignee = d.assignee ?? null;
  else if (ev.name === "fault.resolved") {
    f.resolution = d.resolution ?? null;
    f.resolution_code = d.resolution_code || null;
    if (f.resolved_at == null) f.resolved_at = ev.at;
  } else if (ev.name === "fault.confirmed") f.confirmed_at = ev.at;
  else if (ev.name === "fault.reopened") f.reopened_at = ev.at;
  else if (ev.name === "fault.escalated") f.escalated = true;
  const text = d.text || d.note;
  f.notes = f.notes || [];
  f.history = f.history || [];
  // As controlroom/domain/faults.py is_internal_note: an operator's note for the centre only.
  const internal = ev.name === "fault.noted" && d.to_site === false ? { internal: true } : {};
  if (text) f.notes.push({ at: ev.at, account: ev.actor?.account, text, ...(d.text_code ? { code: d.text_code } : {}), ...internal });
  f.history.push({ at: ev.at, event: ev.name, account: ev.actor?.account, state: f.state, ...internal });
}

function speakChange(store, ev) {
  const sp = store.state.speaking;
  const d = ev.data;
  let r = sp.requests[d.request_id];
  if (!r && ev.name === "speak.granted") {
    // Another site's speaker (a site session sees only the public floor).
    r = sp.requests[d.request_id] = {
      request_id: d.request_id,
      site: d.site,
      speaker: d.speaker,
      title: d.title || "",
      kind: d.kind || "speech",
      state: "requested",
    };
  }
  if (!r) return;
  if (d.site_name) r.site_name = d.site_name;
  const rid = r.request_id;
  const next = {
    "speak.approved": "approved",
    "speak.rejected": "rejected",
    "speak.withdrawn": "withdrawn",
    "speak.granted": "on_floor",
    "speak.ended": "ended",
  }[ev.name];
  if (next) r.state = next;
  const qi = sp.queue.indexOf(rid);
  if (qi >= 0 && ev.name !== "speak.extended") sp.queue.splice(qi, 1);
  switch (ev.name) {
    case "speak.approved":
    case "speak.moved": {
      if (ev.name === "speak.approved") r.approved_at = ev.at;
      const pos = Number(d.position ?? sp.queue.length + 1);
      sp.queue.splice(Math.max(0, Math.min(pos - 1, sp.queue.length)), 0, rid);
      break;
    }
    case "speak.rejected":
      r.rejected_at = ev.at;
      r.reason = d.reason ?? null;
      break;
    case "speak.withdrawn":
      r.withdrawn_at = ev.at;
      break;
    case "speak.granted":
      r.limit_s = Number(d.limit_s);
      r.granted_at = ev.at;
      r.ends_at = ev.at + r.limit_s * 1000;
      if ("warned" in r) r.warned = r.overrun = false; // not in another site's public view
      if (!sp.floor.includes(rid)) sp.floor.push(rid);
      break;
    case "speak.extended":
      if (r.granted_at != null) {
        r.limit_s = Number(d.limit_s);
        const ends = r.granted_at + r.limit_s * 1000;
        if (r.ends_at == null || ends > r.ends_at) r.warned = r.overrun = false;
        r.ends_at = ends;
      }
      break;
    case "speak.warning":
      r.warned = true;
      break;
    case "speak.overrun":
      r.overrun = true;
      break;
    case "speak.ended": {
      r.ended_at = ev.at;
      r.duration_s = d.duration_s ?? null;
      const fi = sp.floor.indexOf(rid);
      if (fi >= 0) sp.floor.splice(fi, 1);
      const v = store.viewer;
      if (v.role === "site" && r.site !== v.site) delete sp.requests[rid];
      break;
    }
  }
  setFloor(sp);
}

export const APPLIERS = {
  "conference.phase"(store, ev) {
    store.state.conference.phase = ev.data.phase;
    store.state.conference.phase_at = ev.at;
  },
  "site.checked_in"(store, ev) {
    const s = site(store, ev);
    if (!s) return;
    const d = ev.data;
    if (d.technician != null) s.technician = d.technician;
    if (d.phone != null) s.phone = d.phone;
    if (d.delegates != null) s.delegates = d.delegates;
    if (!s.checked_in) {
      s.checked_in = true;
      s.checked_in_at = ev.at;
    }
  },
  "site.status"(store, ev) {
    const s = site(store, ev);
    if (!s) return;
    const d = ev.data;
    s.status = { audio: d.audio || "unknown", video: d.video || "unknown", note: d.note || "", at: ev.at };
  },
  "link.changed"(store, ev) {
    const s = site(store, ev);
    if (!s) return;
    const d = ev.data;
    s.link = {
      // What the hub measures live (presence, each source's figures) stays until the
      // next links frame replaces it; the recorded state is the event's.
      ...(s.link || {}),
      state: d.to || "unknown",
      rtt_ms: d.rtt_ms ?? null,
      jitter_ms: d.jitter_ms ?? null,
      loss_pct: d.loss_pct ?? null,
      since: ev.at,
      source: d.source || "console",
      flapping: !!s.link?.flapping, // owned by link.flapping, as in the hub's domain
    };
  },
  "announce.sent"(store, ev) {
    const d = ev.data;
    const mine = store.viewer.role === "site" ? [store.viewer.site] : d.sites || [];
    store.state.announcements[d.announcement_id] = {
      announcement_id: d.announcement_id, text: d.text || "", sites: mine, region: d.region ?? null,
      sent_at: ev.at, sent_by: ev.actor?.account || "", read: {},
    };
  },
  "announce.read"(store, ev) {
    const a = store.state.announcements[ev.data.announcement_id];
    if (a && !(ev.data.site in a.read)) a.read = { ...a.read, [ev.data.site]: ev.at };
  },
  "msg.sent"(store, ev) {
    const d = ev.data;
    const th = store.state.threads[d.site] ||= {
      site: d.site, messages: [], read: { site: "", centre: "" }, unread: { site: 0, centre: 0 },
    };
    const side = d.side || "centre";
    th.messages = [...th.messages, {
      message_id: d.message_id, side, text: d.text || "", photo: d.photo ?? null,
      at: ev.at, account: ev.actor?.account || "",
    }].slice(-500);
    th.read = { ...th.read, [side]: laterId(th.read[side], d.message_id) };
    countUnread(th);
  },
  "msg.read"(store, ev) {
    const th = store.state.threads[ev.data.site];
    if (!th) return;
    const side = ev.data.side === "site" ? "site" : "centre";
    th.read = { ...th.read, [side]: laterId(th.read[side], ev.data.up_to) };
    countUnread(th);
  },
  "cue.sent"(store, ev) {
    const d = ev.data;
    store.state.cues[d.cue_id] = {
      cue_id: d.cue_id, site: d.site, reason: d.reason, sent_at: ev.at, item_id: d.item_id ?? null,
      request_id: d.request_id ?? null, starts_at: d.starts_at ?? null, link: d.link || "unknown",
      ready: null, answered_at: null,
    };
  },
  "cue.answered"(store, ev) {
    const c = store.state.cues[ev.data.cue_id];
    if (c) Object.assign(c, { ready: !!ev.data.ready, answered_at: ev.at });
  },
  // As controlroom/domain/followup.py: a conclusion, and each responsible site's part.
  "conclusion.added"(store, ev) {
    const d = ev.data;
    const conclusions = store.state.conclusions ||= {};
    const mine = store.viewer.role === "site" ? store.viewer.site : null;
    const parts = {};
    for (const code of d.sites || []) {
      if (mine && code !== mine) continue; // a site holds its own part only
      parts[code] = { state: "open", percent: 0, overdue: false, reports: [], accepted_at: null, note: "" };
    }
    conclusions[d.conclusion_id] = {
      conclusion_id: d.conclusion_id, text: d.text || "", sites: [...(d.sites || [])],
      deadline: d.deadline, item: d.item ?? null, added_at: ev.at, account: ev.actor?.account || "", parts,
    };
  },
  "conclusion.reported"(store, ev) {
    const p = conclusionPart(store, ev);
    if (!p) return;
    const d = ev.data;
    p.reports = [...p.reports, { at: ev.at, account: ev.actor?.account || "", text: d.text || "",
      percent: d.percent ?? 0, done: !!d.done, photo: d.photo ?? null }].slice(-100);
    p.percent = d.percent ?? 0;
    p.state = d.done ? "done" : "in_progress";
    p.note = "";
  },
  "conclusion.accepted"(store, ev) {
    const p = conclusionPart(store, ev);
    if (p) Object.assign(p, { state: "accepted", accepted_at: ev.at });
  },
  "conclusion.returned"(store, ev) {
    const p = conclusionPart(store, ev);
    if (p) Object.assign(p, { state: "in_progress", note: ev.data.note || "", overdue: false });
  },
  "conclusion.overdue"(store, ev) {
    const p = conclusionPart(store, ev);
    if (p) p.overdue = true;
  },
  // As controlroom/domain/minutes.py: a note keeps every version of its text.
  "minutes.noted"(store, ev) {
    const d = ev.data;
    const v = { text: d.text || "", at: ev.at, account: ev.actor?.account || "" };
    (store.state.minutes ||= {})[d.note_id] = {
      note_id: d.note_id, item: d.item ?? null, text: v.text, at: ev.at, account: v.account, versions: [v],
    };
  },
  "minutes.edited"(store, ev) {
    const n = store.state.minutes?.[ev.data.note_id];
    if (!n) return;
    const v = { text: ev.data.text || "", at: ev.at, account: ev.actor?.account || "" };
    n.versions = [...n.versions, v];
    n.text = v.text;
  },
  "link.presence"(store, ev) {
    const s = site(store, ev);
    if (s) s.link = Object.assign({}, s.link, { presence: ev.data.presence || "offline" });
  },
  "link.flapping"(store, ev) {
    const s = site(store, ev);
    if (s) s.link = Object.assign({}, s.link, { flapping: !!ev.data.flapping });
  },
  "fault.reported"(store, ev) {
    const d = ev.data;
    store.state.faults[d.fault_id] = {
      fault_id: d.fault_id,
      site: d.site,
      category: d.category || "other",
      severity: d.severity || "minor",
      description: d.description || "",
      state: "open",
      reported_at: ev.at,
      reported_by: ev.actor?.account || "",
      acknowledged_at: null,
      assignee: null,
      resolved_at: null,
      resolution: null,
      confirmed_at: null,
      reopened_at: null,
      escalated: false,
      notes: [],
      history: [{ at: ev.at, event: ev.name, account: ev.actor?.account, state: "open" }],
      incident: Array.isArray(d.incident) ? Object.fromEntries(d.incident.map((c) => [c, "down"])) : null,
      description_code: d.description_code || null,
      resolution_code: null,
    };
  },
  "fault.incident_updated"(store, ev) {
    const f = store.state.faults[ev.data.fault_id];
    if (!f) return;
    f.incident = Object.assign({}, f.incident);
    for (const code of ev.data.down || []) f.incident[code] = "down";
    for (const code of ev.data.back || []) if (code in f.incident) f.incident[code] = "back";
    faultChange(store, ev);
  },
  "speak.requested"(store, ev) {
    const d = ev.data;
    store.state.speaking.requests[d.request_id] = {
      request_id: d.request_id,
      site: d.site,
      speaker: d.speaker || "",
      title: d.title || "",
      topic: d.topic || "",
      kind: d.kind || "speech",
      agenda_item: d.agenda_item ?? null,
      state: "requested",
      requested_at: ev.at,
      requested_by: ev.actor?.account || "",
      approved_at: null,
      rejected_at: null,
      reason: null,
      withdrawn_at: null,
      granted_at: null,
      limit_s: null,
      ends_at: null,
      ended_at: null,
      duration_s: null,
      warned: false,
      overrun: false,
    };
  },
  "agenda.started"(store, ev) {
    const a = store.state.agenda;
    const item = a.items.find((i) => i.item_id === ev.data.item_id);
    if (!item) return;
    a.current = item.item_id;
    item.actual_start = ev.at;
    item.actual_end = null;
    item.overrun = false;
  },
  "agenda.finished"(store, ev) {
    const a = store.state.agenda;
    const item = a.items.find((i) => i.item_id === ev.data.item_id);
    if (!item) return;
    item.actual_end = ev.at;
    if (a.current === item.item_id) a.current = null;
  },
  "agenda.overrun"(store, ev) {
    const item = store.state.agenda.items.find((i) => i.item_id === ev.data.item_id);
    if (item) item.overrun = true;
  },
  "testcall.started"(store, ev) {
    const code = ev.data.site;
    if (!store.state.sites[code]) return;
    store.state.testcalls[code] = {
      call: ev.data.call, site: code, state: "running", started_at: ev.at,
      finished_at: null, verdict: null, metrics: {}, reasons: [],
    };
  },
  "testcall.result"(store, ev) {
    const code = ev.data.site;
    if (!store.state.sites[code]) return;
    const prev = store.state.testcalls[code];
    const same = prev && prev.call === ev.data.call;
    store.state.testcalls[code] = {
      call: ev.data.call, site: code, state: "done",
      started_at: same ? prev.started_at : null, finished_at: ev.at,
      verdict: ev.data.verdict ?? null, metrics: ev.data.metrics || {}, reasons: ev.data.reasons || [],
    };
  },
};

for (const name of ["fault.acknowledged", "fault.assigned", "fault.noted", "fault.resolved",
  "fault.confirmed", "fault.reopened", "fault.escalated"]) {
  APPLIERS[name] = faultChange;
}
for (const name of ["speak.approved", "speak.rejected", "speak.moved", "speak.withdrawn",
  "speak.granted", "speak.extended", "speak.warning", "speak.overrun", "speak.ended"]) {
  APPLIERS[name] = speakChange;
}
