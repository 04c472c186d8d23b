// The technical operator's console: site grid, fault inbox, run-script, phase,
// and the site detail view. The panels live in their own modules.

import { t } from "./i18n.js";
import { h, fill, button, panel, confirmBox } from "./ui.js";
import { siteGrid } from "./sitegrid.js";
import { faultInbox } from "./faultinbox.js";
import { runScript } from "./runscript.js";
import { siteDetail } from "./sitedetail.js";
import { announcePanel } from "./announcements.js";
import { threadsPanel } from "./threads.js";

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

  const side = h("div", { class: "operator-side" }, agenda.el, faults.el, threads.el, announce.el, phase.el);
  const layout = h("div", { class: "operator-grid" }, sites.el, side);
  container.appendChild(layout);

  function render(state) {
    sites.render(state);
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
    detail.close();
  }

  return { render, destroy };
}
