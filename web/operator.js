// The technical operator's console: site grid, fault inbox, run-script, phase.

import { t } from "./i18n.js";
import { h, fill, button, panel, agoEl, clock, ask, confirmBox } from "./ui.js";
import { OPEN_FAULT_STATES } from "./state.js";

const PHASES_NEXT = {
  planned: ["rehearsal", "live"],
  rehearsal: ["live", "planned"],
  live: ["ended"],
  ended: [],
};

export function mount(container, ctx) {
  const sites = panel(t("sites.title"), "sites");
  const summary = h("span", { class: "summary" });
  sites.head.appendChild(summary);
  const grid = h("div", { class: "site-grid" });
  sites.body.appendChild(grid);

  const faults = panel(t("faults.title"), "faults");
  const showClosed = h("input", { type: "checkbox" });
  faults.head.appendChild(h("label", { class: "toggle" }, showClosed, t("faults.show_closed")));
  const faultList = h("div", { class: "fault-list" });
  faults.body.appendChild(faultList);

  const agenda = panel(t("agenda.title"), "agenda");
  const agendaNow = h("div", { class: "agenda-now" });
  const itemSelect = h("select", { class: "item-select" });
  const agendaButtons = h("div", { class: "row wrap" },
    button(t("agenda.advance"), () => ctx.cmd("agenda.advance", {}), "primary big"),
    button(t("agenda.finish"), () => ctx.cmd("agenda.finish", {}), "big"),
    h("span", { class: "spacer" }),
    itemSelect,
    button(t("agenda.start"), () => itemSelect.value && ctx.cmd("agenda.start", { item_id: itemSelect.value }), ""));
  agenda.body.append(agendaNow, agendaButtons);

  const phase = panel(t("phase.label"), "phase");
  const phaseBody = h("div", { class: "phase-body" });
  phase.body.appendChild(phaseBody);

  const layout = h("div", { class: "operator-grid" }, sites.el, faults.el, agenda.el, phase.el);
  container.appendChild(layout);
  showClosed.addEventListener("change", () => renderFaults(ctx.store.state));

  let itemsKey = "";

  function render(state) {
    renderSites(state);
    renderFaults(state);
    renderAgenda(state);
    renderPhase(state);
  }

  function renderSites(state) {
    const list = Object.values(state.sites);
    const count = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    let checked = 0;
    const openBySite = {};
    for (const f of Object.values(state.faults)) {
      if (OPEN_FAULT_STATES.has(f.state)) openBySite[f.site] = (openBySite[f.site] || 0) + 1;
    }
    const tiles = list.map((s) => {
      const link = s.link?.state || "unknown";
      count[link] = (count[link] || 0) + 1;
      if (s.checked_in) checked += 1;
      const open = openBySite[s.code] || 0;
      const tc = state.testcalls?.[s.code];
      return h("button", {
        type: "button",
        class: ["tile", `link-${link}`, s.kind === "central" && "central", open && "has-fault"],
        title: `${s.name} · ${t(`link.${link}`)}`,
        onclick: () => siteMenu(s),
      },
      h("span", { class: "code" }, s.code),
      h("span", { class: "name" }, s.name),
      h("span", { class: "meta" },
        h("span", { class: s.checked_in ? "check yes" : "check no" }, s.checked_in ? "✔" : "—"),
        h("span", { class: "lstate" }, t(`link.${link}`)),
        s.link?.rtt_ms != null ? h("span", { class: "rtt" }, `${Math.round(s.link.rtt_ms)} ms`) : null),
      open ? h("span", { class: "badge fault-badge" }, String(open)) : null,
      tc?.verdict ? h("span", { class: `badge tc tc-${tc.verdict}` }, tc.verdict) : null,
      s.link?.flapping ? h("span", { class: "badge flap" }, t("link.flapping")) : null);
    });
    fill(grid, tiles);
    summary.textContent = t("sites.summary", { ...count, checked, total: list.length });
  }

  async function siteMenu(s) {
    const dlg = h("dialog", { class: "ask site-menu" });
    const close = () => dlg.close();
    const link = s.link || {};
    fill(dlg,
      h("h3", {}, `${s.code} · ${s.name}`),
      h("p", {}, `${t("site.technician")}: ${s.technician || "—"} · ${t("site.phone")}: ${s.phone || "—"}`),
      h("p", {}, t("site.link", { state: t(`link.${link.state || "unknown"}`) }),
        link.rtt_ms != null ? ` · RTT ${Math.round(link.rtt_ms)} ms` : "",
        link.loss_pct != null ? ` · loss ${link.loss_pct}%` : ""),
      h("p", {}, `${t("site.audio")}: ${t(`health.${s.status?.audio || "unknown"}`)} · ` +
        `${t("site.video")}: ${t(`health.${s.status?.video || "unknown"}`)}` +
        (s.status?.note ? ` · ${s.status.note}` : "")),
      s.checked_in ? h("p", {}, t("site.checked_in_at", { time: clock(s.checked_in_at) }),
        s.delegates != null ? ` · ${t("sites.delegates", { n: s.delegates })}` : "") : h("p", {}, t("sites.not_checked_in")),
      h("div", { class: "row wrap end" },
        button(t("sites.testcall"), () => { close(); ctx.cmd("testcall.start", { site: s.code }, t("done.sent")); }),
        button(t("sites.report_fault"), async () => {
          close();
          const text = await ask(t("sites.report_fault"), t("site.description"));
          if (text) ctx.cmd("fault.report", { site: s.code, category: "other", severity: "major", description: text },
            (r) => t("site.reported", { id: r.fault_id }));
        }),
        button(t("cancel"), close, "ghost")));
    dlg.addEventListener("close", () => dlg.remove());
    document.body.appendChild(dlg);
    dlg.showModal();
  }

  function renderFaults(state) {
    const all = Object.values(state.faults);
    const shown = all
      .filter((f) => showClosed.checked || OPEN_FAULT_STATES.has(f.state))
      .sort((a, b) => b.reported_at - a.reported_at);
    const open = all.filter((f) => OPEN_FAULT_STATES.has(f.state)).length;
    faults.head.querySelector("h2").textContent = `${t("faults.title")} (${open})`;
    if (!shown.length) {
      fill(faultList, h("p", { class: "empty" }, t("faults.empty")));
      return;
    }
    fill(faultList, shown.map((f) => faultCard(f, state)));
  }

  function faultCard(f, state) {
    const id = f.fault_id;
    const isOpen = OPEN_FAULT_STATES.has(f.state);
    const lastNote = f.notes?.length ? f.notes[f.notes.length - 1] : null;
    const actions = [];
    if (f.state === "open" || f.state === "reopened") {
      actions.push(button(t("faults.ack"), () => ctx.cmd("fault.ack", { fault_id: id }), "primary"));
    }
    if (isOpen) {
      actions.push(button(t("faults.assign"), async () => {
        const who = await ask(t("faults.assign"), t("faults.ask_assignee"), f.assignee || "");
        if (who) ctx.cmd("fault.assign", { fault_id: id, assignee: who });
      }));
    }
    actions.push(button(t("faults.note"), async () => {
      const text = await ask(t("faults.note"), t("faults.ask_note"));
      if (text) ctx.cmd("fault.note", { fault_id: id, text });
    }));
    if (isOpen) {
      actions.push(button(t("faults.resolve"), async () => {
        const text = await ask(t("faults.resolve"), t("faults.ask_resolution"));
        if (text) ctx.cmd("fault.resolve", { fault_id: id, resolution: text });
      }, "ok"));
    }
    return h("article", { class: ["fault", `sev-${f.severity}`, `fs-${f.state}`, f.escalated && isOpen && "escalated"] },
      h("div", { class: "fault-top" },
        h("span", { class: "sev" }, t(`sev.${f.severity}`)),
        h("span", { class: "fsite" }, `${f.site} · ${state.sites[f.site]?.name || ""}`),
        h("span", { class: "fstate" }, t(`fstate.${f.state}`)),
        f.escalated && isOpen ? h("span", { class: "badge esc" }, t("faults.escalated")) : null,
        h("span", { class: "spacer" }),
        agoEl(f.reported_at)),
      h("div", { class: "fault-desc" },
        h("span", { class: "cat" }, `${t(`cat.${f.category}`)}: `), f.description),
      h("div", { class: "fault-meta" },
        h("span", {}, `${id} · ${clock(f.reported_at)}`),
        f.assignee ? h("span", {}, t("faults.assignee", { name: f.assignee })) : null,
        lastNote ? h("span", { class: "note" }, `“${lastNote.text}”`) : null,
        f.resolution ? h("span", {}, t("faults.resolution", { text: f.resolution })) : null),
      h("div", { class: "row wrap actions" }, actions));
  }

  function renderAgenda(state) {
    const items = [...state.agenda.items].sort((a, b) => a.order - b.order);
    const key = items.map((i) => i.item_id).join(",");
    if (key !== itemsKey) {
      itemsKey = key;
      fill(itemSelect, items.map((i) =>
        h("option", { value: i.item_id }, `${i.order}. ${i.content.slice(0, 60)}`)));
    }
    const cur = ctx.store.currentItem();
    const next = ctx.store.nextItem();
    fill(agendaNow,
      itemBlock(t("agenda.current"), cur, true, state),
      itemBlock(t("agenda.next"), next, false, state));
  }

  function itemBlock(label, item, current, state) {
    if (!item) {
      return h("div", { class: "item empty" }, h("div", { class: "label" }, label),
        h("p", {}, current ? t("agenda.none") : t("agenda.end")));
    }
    const over = current && item.actual_start && ctx.now() - item.actual_start > item.duration_min * 60000;
    return h("div", { class: ["item", current && "current", over && "over"] },
      h("div", { class: "label" }, `${label} · ${t("agenda.item", { n: item.order })}`),
      h("div", { class: "content" }, item.content),
      h("div", { class: "presenter" }, [item.presenter, item.presenter_title].filter(Boolean).join(", ")),
      h("div", { class: "meta" },
        item.site ? state.sites[item.site]?.name || item.site : t("agenda.all_sites"), " · ",
        t("agenda.planned", { time: clock(item.planned_start), min: item.duration_min }),
        current && item.actual_start ? [" · ", agoEl(item.actual_start)] : null));
  }

  function renderPhase(state) {
    const cur = state.conference.phase;
    fill(phaseBody,
      h("div", { class: `phase-now phase-${cur}` }, t(`phase.${cur}`)),
      h("div", { class: "row wrap" }, PHASES_NEXT[cur].map((p) =>
        button(t("phase.to", { phase: t(`phase.${p}`) }), async () => {
          if (p === "ended" && !(await confirmBox(t("phase.confirm_end")))) return;
          ctx.cmd("conference.phase", { phase: p });
        }, p === "ended" ? "danger" : "primary"))));
  }

  return { render };
}
