// The bridge site's console: check-in, status, faults, speaker registration.
// Designed for a phone first: what the centre asks now (cue, announcements) and the
// site's own line on top, then the work as tabs (faults, messages, check-in and test
// call, speaking), each one screen. A one-tap fault waits a few seconds with an undo
// before it goes, so a slip of the thumb never raises an alarm at the centre.

import { t, LANGS } from "./i18n.js";
import { h, fill, button, panel, agoEl, countdownEl, select, field, ask, clock, tabs } from "./ui.js";
import { OPEN_FAULT_STATES } from "./state.js";
import { testCallPanel } from "./readiness.js";
import { siteAnnouncements } from "./announcements.js";
import { threadBox } from "./threads.js";
import { siteCue } from "./cues.js";
import { alert } from "./sound.js";
import { faultDescription, faultResolution } from "./messages.js";
import { siteConclusions } from "./followup.js";

const QUICK = [
  ["quick.no_audio", "audio", "critical"],
  ["quick.no_video", "video", "critical"],
  ["quick.choppy", "video", "major"],
  ["quick.noise", "audio", "major"],
  ["quick.no_link", "network", "critical"],
];
const CATEGORIES = ["audio", "video", "network", "equipment", "power", "other"];
const SEVERITIES = ["critical", "major", "minor"];
const KINDS = ["speech", "comment", "question"];
// How long a one-tap fault waits for an undo before it is sent.
export const UNDO_MS = 5000;

function healthRadios(name) {
  return h("div", { class: "seg", role: "radiogroup" }, ["ok", "fail"].map((v) =>
    h("label", { class: `seg-${v}` }, h("input", { type: "radio", name, value: v }), t(`health.${v}`))));
}

export function mount(container, ctx) {
  const code = ctx.session.site;

  // Who has the floor + this site's link
  const banner = h("section", { class: "site-banner" });

  // Check-in
  const checkin = panel(t("site.checkin"), "checkin");
  const checkinState = h("p", { class: "state-line" });
  const checkinForm = h("form", { class: "form-grid" },
    field(t("site.technician"), h("input", { name: "technician", required: true, maxlength: 200 })),
    field(t("site.phone"), h("input", { name: "phone", required: true, maxlength: 200, type: "tel" })),
    field(t("site.delegates"), h("input", { name: "delegates", type: "number", min: 0, inputmode: "numeric" })),
    h("button", { type: "submit", class: "primary big" }, t("site.checkin_submit")));
  checkin.body.append(checkinState, checkinForm);
  checkinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(checkinForm);
    const args = { technician: String(f.get("technician")).trim(), phone: String(f.get("phone")).trim() };
    const d = String(f.get("delegates") || "").trim();
    if (d !== "") args.delegates = Number.parseInt(d, 10);
    ctx.cmd("site.checkin", args, t("done.sent"));
  });

  // Status
  const status = panel(t("site.status"), "status");
  const statusForm = h("form", { class: "form-grid" },
    field(t("site.audio"), healthRadios("audio")),
    field(t("site.video"), healthRadios("video")),
    field(t("site.note"), h("input", { name: "note", maxlength: 2000 })),
    h("button", { type: "submit", class: "primary" }, t("site.status_submit")));
  status.body.appendChild(statusForm);
  statusForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(statusForm);
    ctx.cmd("site.status", {
      audio: f.get("audio") || "unknown",
      video: f.get("video") || "unknown",
      note: String(f.get("note") || "").trim(),
    }, t("done.sent"));
  });

  // Faults: one-tap buttons, then a free form
  const report = panel(t("site.quick"), "report");
  const pending = h("div", { class: "pending-faults", role: "alert" });
  const quick = h("div", { class: "quick" }, QUICK.map(([key, category, severity]) =>
    button(t(key), () => holdFault(key, { category, severity, description: LANGS.vi[key] }),
      `quick-btn sev-${severity}`)));

  /** A one-tap fault: sent after UNDO_MS unless undone; "send now" skips the wait. */
  function holdFault(key, args) {
    let timer = null;
    const left = h("span", { class: "pending-left" });
    const end = Date.now() + UNDO_MS;
    const send = () => {
      clearInterval(timer);
      row.remove();
      ctx.cmd("fault.report", args, (r) => t("site.reported", { id: r.fault_id }));
    };
    const undo = h("button", { type: "button", class: "danger", onclick: () => {
      clearInterval(timer);
      row.remove();
      report.el.querySelector(".quick-btn")?.focus();
    } }, t("site.undo"));
    const row = h("div", { class: "pending-fault" },
      h("span", { class: "pending-text" }, t("site.sending", { what: t(key) }), " ", left),
      undo, button(t("site.send_now"), send, "primary"));
    const show = () => {
      const s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      left.textContent = t("site.sending_in", { s });
      if (Date.now() >= end) send();
    };
    show();
    timer = setInterval(show, 250);
    pending.appendChild(row);
    undo.focus();
  }
  const faultForm = h("form", { class: "form-grid" },
    field(t("site.category"), select("category", CATEGORIES.map((c) => [c, t(`cat.${c}`)]), "other")),
    field(t("site.severity"), select("severity", SEVERITIES.map((s) => [s, t(`sev.${s}`)]), "major")),
    field(t("site.description"), h("textarea", { name: "description", required: true, maxlength: 2000, rows: 2 })),
    h("button", { type: "submit", class: "primary" }, t("site.report")));
  faultForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(faultForm);
    const r = await ctx.cmd("fault.report", {
      category: f.get("category"), severity: f.get("severity"),
      description: String(f.get("description")).trim(),
    }, (res) => t("site.reported", { id: res.fault_id }));
    if (r) faultForm.reset();
  });
  report.body.append(quick, pending, h("h3", {}, t("site.other_fault")), faultForm);

  const myFaults = panel(t("site.my_faults"), "my-faults");
  const faultList = h("div", { class: "fault-list" });
  myFaults.body.appendChild(faultList);

  // Speaker registration
  const register = panel(t("site.register"), "register");
  const regForm = h("form", { class: "form-grid" },
    field(t("site.speaker"), h("input", { name: "speaker", required: true, maxlength: 200 })),
    field(t("site.speaker_title"), h("input", { name: "title", required: true, maxlength: 200 })),
    field(t("site.topic"), h("textarea", { name: "topic", required: true, maxlength: 2000, rows: 2 })),
    field(t("site.kind"), select("kind", KINDS.map((k) => [k, t(`kind.${k}`)]), "speech")),
    h("button", { type: "submit", class: "primary" }, t("site.register_submit")));
  regForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(regForm);
    const args = Object.fromEntries(["speaker", "title", "topic", "kind"].map((k) => [k, String(f.get(k)).trim()]));
    const r = await ctx.cmd("speak.request", args, (res) => t("site.registered", { id: res.request_id }));
    if (r) regForm.reset();
  });
  register.body.appendChild(regForm);

  const myRequests = panel(t("site.my_requests"), "my-requests");
  const reqList = h("div", { class: "req-list" });
  myRequests.body.appendChild(reqList);

  const testCall = testCallPanel(code);
  const conclusions = siteConclusions(ctx, code);
  const announcements = siteAnnouncements(ctx, code);
  const cue = siteCue(ctx, code);
  const talk = panel(t("thread.with_centre"), "site-thread");
  const thread = threadBox(ctx, code, "site");
  talk.body.appendChild(thread.el);
  const work = tabs("site", [
    { key: "faults", label: t("site.tab.faults"), el: h("div", { class: "col" }, report.el, myFaults.el) },
    { key: "talk", label: t("site.tab.talk"), el: h("div", { class: "col" }, talk.el) },
    { key: "checkin", label: t("site.tab.checkin"), el: h("div", { class: "col" }, checkin.el, status.el, testCall.el) },
    { key: "speak", label: t("site.tab.speak"), el: h("div", { class: "col" }, register.el, myRequests.el) },
    { key: "conclusions", label: t("site.tab.conclusions"), el: h("div", { class: "col" }, conclusions.el) },
  ], {
    // A thread shown at last is placed at its newest message and read.
    onSelect: (key) => { if (key === "talk" && ctx.store.loaded) thread.render(ctx.store.state); },
  });
  let tabChosen = !!localStorage.getItem("controlroom.tab.site");
  container.appendChild(h("div", { class: "site-grid-layout" },
    cue.el, // what asks for the technician now comes first, above the site's own line
    announcements.el,
    banner,
    work.el));

  let prefilled = false;
  // What the centre asks of the technician sounds (live events, not a snapshot's).
  ctx.store.subscribe((state, ev) => {
    const d = ev?.data || {};
    // and what it owes on a conclusion: a new one, one sent back, one overdue.
    const owing = ["conclusion.added", "conclusion.returned", "conclusion.overdue"].includes(ev?.name);
    if ((ev?.name === "msg.sent" && d.side === "centre") || ev?.name === "announce.sent" || ev?.name === "cue.sent"
      || owing) {
      alert("message");
    }
  });

  function render(state) {
    const me = state.sites[code] || { code, name: code, link: { state: "unknown" }, status: {} };
    if (!prefilled && state.sites[code]) {
      prefilled = true;
      checkinForm.elements.technician.value = me.technician || ctx.session.name || "";
      checkinForm.elements.phone.value = me.phone || "";
      if (me.delegates != null) checkinForm.elements.delegates.value = me.delegates;
      for (const k of ["audio", "video"]) {
        const v = me.status?.[k];
        const input = statusForm.querySelector(`input[name=${k}][value=${v === "fail" ? "fail" : "ok"}]`);
        if (v === "ok" || v === "fail") input.checked = true;
      }
      statusForm.elements.note.value = me.status?.note || "";
    }
    // A site not yet checked in starts where the day starts: check-in and the test call.
    if (!tabChosen && state.sites[code]) {
      tabChosen = true;
      if (!me.checked_in) work.select("checkin");
    }
    const open = Object.values(state.faults).filter((f) => f.site === code && OPEN_FAULT_STATES.has(f.state)).length;
    work.setBadge("faults", open);
    work.setBadge("talk", state.threads?.[code]?.unread?.site || 0);
    work.setBadge("checkin", me.checked_in ? 0 : 1, "!");
    // What the site still owes: its conclusions' parts not yet reported done.
    const owing = Object.values(state.conclusions || {}).filter((c) => c.parts[code]
      && (c.parts[code].state === "open" || c.parts[code].state === "in_progress")).length;
    work.setBadge("conclusions", owing);
    conclusions.render(state);
    renderBanner(state, me);
    announcements.render(state);
    cue.render(state);
    thread.render(state);
    checkinState.textContent = me.checked_in
      ? t("site.checked_in_at", { time: clock(me.checked_in_at) }) +
        (me.delegates != null ? ` · ${t("sites.delegates", { n: me.delegates })}` : "")
      : t("sites.not_checked_in");
    checkinState.className = `state-line ${me.checked_in ? "good" : "warn"}`;
    renderFaults(state);
    renderRequests(state);
    testCall.render(state);
  }

  function runScriptLine(state) {
    const cur = ctx.store.currentItem();
    const next = ctx.store.nextItem();
    if (!cur && !next) return null;
    const item = (label, i) => i ? h("div", { class: ["rs-item", i.site === code && "mine"] },
      h("div", { class: "label" }, label), h("div", { class: "rs-content" }, i.content),
      i.site === code ? h("div", { class: "sub mine-note" }, t("site.your_item")) : null) : null;
    return h("div", { class: "banner-runscript" },
      item(t("agenda.current"), cur), item(t("agenda.next"), next));
  }

  function renderBanner(state, me) {
    const sp = state.speaking;
    const r = sp.on_floor ? sp.requests[sp.on_floor] : null;
    const link = me.link?.state || "unknown";
    const st = me.status || {};
    fill(banner,
      h("div", { class: "site-id" },
        h("div", { class: "code" }, me.code), h("div", { class: "name" }, me.name)),
      h("div", { class: `link-pill link-${link}` }, t("site.link", { state: t(`link.${link}`) })),
      // Where the hub measures the conference path itself, say so: the technician's
      // own connection is then not what the centre sees as the site's link.
      me.link?.source && me.link.source !== "console"
        ? h("div", { class: "sub link-source" }, t("source.follows", { source: t(`source.title.${me.link.source}`) }))
        : null,
      h("div", { class: "av" },
        h("span", { class: `health h-${st.audio || "unknown"}` }, `${t("site.audio")}: ${t(`health.${st.audio || "unknown"}`)}`),
        h("span", { class: `health h-${st.video || "unknown"}` }, `${t("site.video")}: ${t(`health.${st.video || "unknown"}`)}`)),
      // The run-script as the site follows it: what is on now, and what comes next
      // (marked when it is this site's turn).
      runScriptLine(state),
      h("div", { class: ["banner-floor", r && r.site === code && "mine"] },
        h("div", { class: "label" }, t("speak.floor")),
        r ? [h("div", { class: "speaker" }, r.speaker),
          h("div", { class: "sub" }, [r.title, r.site_name || state.sites[r.site]?.name || r.site].filter(Boolean).join(" · ")),
          countdownEl(r.ends_at, "countdown")]
          : h("div", { class: "sub" }, t("speak.floor_empty"))));
  }

  function renderFaults(state) {
    const list = Object.values(state.faults).filter((f) => f.site === code)
      .sort((a, b) => b.reported_at - a.reported_at);
    fill(faultList, list.length ? list.map((f) => h("article", { class: ["fault", `sev-${f.severity}`, `fs-${f.state}`] },
      h("div", { class: "fault-top" },
        h("span", { class: "sev" }, t(`sev.${f.severity}`)),
        h("span", { class: "fstate" }, t(`fstate.${f.state}`)),
        h("span", { class: "spacer" }), agoEl(f.reported_at)),
      h("div", { class: "fault-desc" }, h("span", { class: "cat" }, `${t(`cat.${f.category}`)}: `), faultDescription(f, state)),
      h("div", { class: "fault-meta" }, h("span", {}, `${f.fault_id} · ${clock(f.reported_at)}`),
        f.acknowledged_at ? h("span", {}, t("site.acked_by", { name: ackedBy(f), time: clock(f.acknowledged_at) })) : null,
        f.assignee ? h("span", {}, t("faults.assignee", { name: f.assignee })) : null,
        f.resolution ? h("span", {}, t("faults.resolution", { text: faultResolution(f, state) })) : null),
      centreNotes(f),
      f.state === "resolved" ? h("div", { class: "row wrap actions" },
        button(t("faults.confirm"), () => ctx.cmd("fault.confirm", { fault_id: f.fault_id }), "ok"),
        button(t("faults.reopen"), async () => {
          const note = await ask(t("faults.reopen"), t("faults.ask_reopen"));
          if (note) ctx.cmd("fault.reopen", { fault_id: f.fault_id, note });
        }, "danger")) : null))
      : h("p", { class: "empty" }, t("faults.empty")));
  }

  // Who at the centre took the fault in: the account of its acknowledgement.
  function ackedBy(f) {
    return (f.history || []).find((x) => x.event === "fault.acknowledged")?.account || t("thread.centre");
  }

  // The centre's notes meant for the site (its own notes for itself never reach it).
  function centreNotes(f) {
    const notes = (f.notes || []).filter((n) => n.account && n.account !== ctx.session.account && !n.code);
    return notes.length ? h("ul", { class: "fault-notes" }, notes.map((n) =>
      h("li", {}, h("span", { class: "sub" }, `${clock(n.at)} · `), n.text))) : null;
  }

  function renderRequests(state) {
    const list = Object.values(state.speaking.requests).filter((r) => r.site === code)
      .sort((a, b) => (b.requested_at || 0) - (a.requested_at || 0));
    fill(reqList, list.length ? list.map((r) => h("div", { class: ["req", `ss-${r.state}`] },
      h("div", { class: "who" },
        h("div", { class: "speaker" }, r.speaker),
        h("div", { class: "sub" }, [r.title, t(`kind.${r.kind}`)].filter(Boolean).join(" · ")),
        r.topic ? h("div", { class: "sub" }, r.topic) : null,
        r.reason ? h("div", { class: "sub" }, t("speak.reason", { text: r.reason })) : null,
        r.state === "approved" && r.position ? h("div", { class: "queue-pos" },
          t("site.queue_position", { n: r.position })) : null),
      h("div", { class: "req-side" },
        h("span", { class: `sstate s-${r.state}` }, t(`sstate.${r.state}`)),
        r.state === "requested" || r.state === "approved"
          ? button(t("speak.withdraw"), () => ctx.cmd("speak.withdraw", { request_id: r.request_id }), "ghost")
          : null)))
      : h("p", { class: "empty" }, t("speak.empty")));
  }

  return { render };
}
