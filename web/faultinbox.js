// The operator's fault inbox: newest and worst first, acknowledge, assign, note,
// resolve; time since report; critical and escalated faults stand out and sound
// (unless muted); a reminder sounds while an escalated fault waits.

import { t } from "./i18n.js";
import { h, fill, button, panel, agoEl, clock, ask } from "./ui.js";
import { OPEN_FAULT_STATES } from "./state.js";
import { alert } from "./sound.js";
import { soundMenu } from "./soundmenu.js";
import { faultDescription, faultResolution, noteText } from "./messages.js";

const SEV_RANK = { critical: 0, major: 1, minor: 2 };
const REMIND_MS = 30000;

function rank(f) {
  const waiting = f.state === "open" || f.state === "reopened";
  if (waiting && f.escalated) return 0;
  if (waiting) return 1 + SEV_RANK[f.severity];
  if (OPEN_FAULT_STATES.has(f.state)) return 4;
  return 5;
}

export function faultInbox(ctx, { onSite }) {
  const p = panel(t("faults.title"), "faults");
  const showClosed = h("input", { type: "checkbox" });
  p.head.append(h("span", { class: "spacer" }),
    h("label", { class: "toggle" }, showClosed, t("faults.show_closed")),
    // An escalation is not offered: it always sounds unless everything is muted.
    soundMenu(["critical", "major", "minor", "message"]));
  const list = h("div", { class: "fault-list", "aria-live": "polite" });
  p.body.appendChild(list);
  let lastRev = -1;

  showClosed.addEventListener("change", () => render(ctx.store.state, true));

  // Sound on live events (not for what a snapshot already holds).
  const unsubscribe = ctx.store.subscribe((state, ev) => {
    if (!ev) return;
    if (ev.name === "fault.reported") alert(ev.data?.severity || "minor");
    else if (ev.name === "fault.escalated") alert("escalated");
    else if (ev.name === "msg.sent" && ev.data?.side === "site") alert("message");
  });
  const reminder = setInterval(() => {
    const waiting = Object.values(ctx.store.state.faults)
      .some((f) => f.escalated && (f.state === "open" || f.state === "reopened"));
    if (waiting) alert("escalated");
  }, REMIND_MS);

  function render(state, force = false) {
    if (!force && lastRev === ctx.store.revs.faults) return;
    lastRev = ctx.store.revs.faults;
    const all = Object.values(state.faults);
    const shown = all
      .filter((f) => showClosed.checked || OPEN_FAULT_STATES.has(f.state))
      .sort((a, b) => rank(a) - rank(b) || b.reported_at - a.reported_at);
    const open = all.filter((f) => OPEN_FAULT_STATES.has(f.state)).length;
    p.head.querySelector("h2").textContent = `${t("faults.title")} (${open})`;
    // Focus stays where the operator works: on the same card (its same action when it
    // still has it), which is scrolled into view wherever the new order put it.
    const active = document.activeElement;
    const within = active && list.contains(active) ? active.closest("[data-fault]") : null;
    const focusFault = within?.dataset.fault;
    const focusAction = active?.dataset?.action;
    fill(list, shown.length ? shown.map((f) => card(f, state)) : h("p", { class: "empty" }, t("faults.empty")));
    if (focusFault) {
      const again = list.querySelector(`[data-fault="${CSS.escape(focusFault)}"]`);
      const target = again?.querySelector(`[data-action="${focusAction}"]`) || again?.querySelector("button.act") || again;
      if (target) {
        target.focus({ preventScroll: true });
        again.scrollIntoView({ block: "nearest" });
      }
    }
  }

  function card(f, state) {
    const id = f.fault_id;
    const isOpen = OPEN_FAULT_STATES.has(f.state);
    const lastNote = f.notes?.length ? f.notes[f.notes.length - 1] : null;
    const act = (name, label, fn, cls = "", key = name) => {
      if (!ctx.can(name)) return null;
      const b = button(label, fn, `${cls} act`.trim());
      b.dataset.action = key;
      return b;
    };
    const actions = [
      f.state === "open" || f.state === "reopened"
        ? act("fault.ack", t("faults.ack"), () => ctx.cmd("fault.ack", { fault_id: id }), "primary") : null,
      isOpen ? act("fault.assign", t("faults.assign"), async () => {
        const who = await ask(t("faults.assign"), t("faults.ask_assignee"), f.assignee || "");
        if (who) ctx.cmd("fault.assign", { fault_id: id, assignee: who });
      }) : null,
      act("fault.note", t("faults.note"), async () => {
        const text = await ask(t("faults.note"), t("faults.ask_note"));
        if (text) ctx.cmd("fault.note", { fault_id: id, text, to_site: false });
      }),
      // A note meant for the site: shown on its console with the fault.
      f.incident ? null : act("fault.note", t("faults.note_site"), async () => {
        const text = await ask(t("faults.note_site"), t("faults.ask_note_site"));
        if (text) ctx.cmd("fault.note", { fault_id: id, text, to_site: true });
      }, "", "fault.note.site"),
      isOpen ? act("fault.resolve", t("faults.resolve"), async () => {
        const text = await ask(t("faults.resolve"), t("faults.ask_resolution"));
        if (text) ctx.cmd("fault.resolve", { fault_id: id, resolution: text });
      }, "ok") : null,
    ].filter(Boolean);
    const escalated = f.escalated && isOpen;
    return h("article", {
      class: ["fault", `sev-${f.severity}`, `fs-${f.state}`, escalated && "escalated"],
      "data-fault": id, tabindex: "-1",
    },
    h("div", { class: "fault-top" },
      h("span", { class: "sev" }, t(`sev.${f.severity}`)),
      h("button", { type: "button", class: "fsite linkish", onclick: () => onSite(f.site) },
        `${f.site} · ${state.sites[f.site]?.name || ""}`),
      h("span", { class: "fstate" }, t(`fstate.${f.state}`)),
      escalated ? h("span", { class: "badge esc" }, t("faults.escalated")) : null,
      h("span", { class: "spacer" }),
      agoEl(f.reported_at)),
    h("div", { class: "fault-desc" }, h("span", { class: "cat" }, `${t(`cat.${f.category}`)}: `), faultDescription(f, state)),
    f.incident ? incidentLine(f.incident) : null,
    h("div", { class: "fault-meta" },
      h("span", {}, `${id} · ${clock(f.reported_at)}`),
      f.acknowledged_at ? h("span", {}, t("faults.acked_after", { s: Math.round((f.acknowledged_at - f.reported_at) / 1000) })) : null,
      f.assignee ? h("span", {}, t("faults.assignee", { name: f.assignee })) : null,
      lastNote ? h("span", { class: "note" }, `“${noteText(lastNote, state)}”`) : null,
      f.resolution ? h("span", {}, t("faults.resolution", { text: faultResolution(f, state) })) : null),
    actions.length ? h("div", { class: "row wrap actions" }, actions) : null);
  }

  // A mass drop is one card: how many of its sites are back, and which are still down.
  function incidentLine(incident) {
    const codes = Object.keys(incident);
    const down = codes.filter((c) => incident[c] === "down");
    return h("div", { class: "fault-incident" },
      h("strong", {}, t("faults.incident_back", { back: codes.length - down.length, total: codes.length })),
      down.length ? ` · ${t("faults.incident_down", { sites: down.join(", ") })}` : null);
  }

  function destroy() {
    unsubscribe();
    clearInterval(reminder);
  }

  return { el: p.el, render, destroy };
}
