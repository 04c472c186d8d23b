// The technical operator's console: site grid, fault inbox, run-script, phase,
// and the site detail view. The panels live in their own modules.
//
// The layout fits the screen without page scrolling: the sites (grid or readiness
// board, as tabs) on the left, the fault inbox at the height it needs, and the
// run-script, threads, announcements and phase as tabs. The CSS grid places them in
// three columns on a wide screen and two on a 1366 px one; a phone stacks them.

import { t } from "./i18n.js";
import { h, fill, button, panel, confirmBox, tabs } from "./ui.js";
import { siteGrid } from "./sitegrid.js";
import { faultInbox } from "./faultinbox.js";
import { runScript } from "./runscript.js";
import { siteDetail } from "./sitedetail.js";
import { announcePanel } from "./announcements.js";
import { threadsPanel } from "./threads.js";
import { readinessBoard } from "./readiness.js";
import { conclusionsPanel, owed } from "./followup.js";

const PHASES_NEXT = {
  planned: ["rehearsal", "live"],
  rehearsal: ["live", "planned"],
  live: ["ended"],
  ended: [],
};

export function mount(container, ctx) {
  const detail = siteDetail(ctx);
  const sites = siteGrid(ctx, { onSite: (code) => detail.open(code) });
  const faults = faultInbox(ctx, { onSite: (code) => detail.open(code) });
  const agenda = runScript(ctx);
  const announce = announcePanel(ctx);
  const threads = threadsPanel(ctx, { onSite: (code) => detail.open(code) });

  const phase = panel(t("phase.label"), "phase");
  const phaseBody = h("div", { class: "phase-body" });
  phase.body.appendChild(phaseBody);

  const board = readinessBoard(ctx);
  const conclusions = conclusionsPanel(ctx);

  const left = tabs("op-main", [
    { key: "sites", label: t("tab.sites"), el: sites.el },
    { key: "readiness", label: t("tab.readiness"), el: board.el },
  ]);
  left.el.classList.add("op-main");
  const side = tabs("op-side", [
    { key: "agenda", label: t("tab.agenda"), el: agenda.el },
    { key: "threads", label: t("tab.threads"), el: threads.el },
    { key: "announce", label: t("tab.announce"), el: announce.el },
    { key: "conclusions", label: t("tab.conclusions"), el: conclusions.el },
    { key: "phase", label: t("tab.phase"), el: phase.el },
  ]);
  side.el.classList.add("op-side");
  faults.el.classList.add("op-faults");
  const layout = h("div", { class: "operator-grid" }, left.el, faults.el, side.el);
  container.appendChild(layout);

  function render(state) {
    sites.render(state);
    board.render(state);
    const unread = Object.values(state.threads || {}).reduce((n, th) => n + (th.unread?.centre || 0), 0);
    side.setBadge("threads", unread);
    conclusions.render(state);
    const { overdue } = owed(state);
    side.setBadge("conclusions", overdue, `${overdue} !`);
    faults.render(state);
    agenda.render(state);
    announce.render(state);
    threads.render(state);
    detail.render(state);
    renderPhase(state);
  }

  let phaseShown = null;
  function renderPhase(state) {
    const cur = state.conference.phase;
    if (cur === phaseShown) return;
    phaseShown = cur;
    fill(phaseBody,
      h("div", { class: `phase-now phase-${cur}` }, t(`phase.${cur}`)),
      ctx.can("conference.phase") ? h("div", { class: "row wrap" }, PHASES_NEXT[cur].map((p) =>
        button(t("phase.to", { phase: t(`phase.${p}`) }), async () => {
          if (p === "ended" && !(await confirmBox(t("phase.confirm_end")))) return;
          ctx.cmd("conference.phase", { phase: p });
        }, p === "ended" ? "danger" : "primary"))) : null);
  }

  function destroy() {
    faults.destroy();
    board.destroy();
    detail.close();
  }

  return { render, destroy };
}
