// The operator's run-script panel: the current item (planned against actual
// time, elapsed against its duration), the next one with a warning when its site
// is not online, the controls, and every item with its planned and actual start.

import { t } from "./i18n.js";
import { h, fill, button, panel, clock, elapsedEl } from "./ui.js";
import { latestCue, cueMark } from "./cues.js";

const SAME_DAY_MIN = 12 * 60; // beyond this the item ran on another day (a rehearsal): no delta

function minutesLate(item) {
  if (item.actual_start == null || item.planned_start == null) return null;
  const mins = Math.round((item.actual_start - item.planned_start) / 60000);
  return Math.abs(mins) > SAME_DAY_MIN ? null : mins;
}

export function lateText(mins) {
  if (mins == null) return "";
  if (mins === 0) return t("agenda.on_time");
  return mins > 0 ? t("agenda.late", { n: mins }) : t("agenda.early", { n: -mins });
}

export function runScript(ctx) {
  const p = panel(t("agenda.title"), "agenda");
  const now = h("div", { class: "agenda-now" });
  const itemSelect = h("select", { class: "item-select", "aria-label": t("agenda.start") });
  const controls = [
    ctx.can("agenda.advance") ? button(t("agenda.advance"), () => ctx.cmd("agenda.advance", {}), "primary big") : null,
    ctx.can("agenda.finish") ? button(t("agenda.finish"), () => ctx.cmd("agenda.finish", {}), "big") : null,
    h("span", { class: "spacer" }),
    ctx.can("agenda.start") ? itemSelect : null,
    ctx.can("agenda.start") ? button(t("agenda.start"),
      () => itemSelect.value && ctx.cmd("agenda.start", { item_id: itemSelect.value })) : null,
  ].filter(Boolean);
  const table = h("ol", { class: "agenda-list" });
  const more = h("details", { class: "agenda-all" }, h("summary", {}, t("agenda.all")), table);
  p.body.append(now, controls.length > 1 ? h("div", { class: "row wrap" }, controls) : null, more);
  let itemsKey = "";
  let revs = "";

  function render(state, force = false) {
    const key = `${ctx.store.revs.agenda}.${ctx.store.revs.sites}.${ctx.store.revs.links}.${ctx.store.revs.cues}`;
    if (!force && key === revs) return;
    revs = key;
    const items = [...state.agenda.items].sort((a, b) => a.order - b.order);
    const ids = items.map((i) => i.item_id).join(",");
    if (ids !== itemsKey) {
      itemsKey = ids;
      fill(itemSelect, items.map((i) => h("option", { value: i.item_id }, `${i.order}. ${i.content.slice(0, 60)}`)));
    }
    const cur = ctx.store.currentItem();
    const next = ctx.store.nextItem();
    fill(now, block(t("agenda.current"), cur, true, state), block(t("agenda.next"), next, false, state));
    fill(table, items.map((i) => {
      const late = minutesLate(i);
      return h("li", { class: [i.item_id === state.agenda.current && "current", i.actual_end && "done"] },
        h("span", { class: "when" }, clock(i.planned_start)),
        h("span", { class: "what" }, i.content),
        i.site && i.actual_start == null ? cueMark(latestCue(state, { site: i.site, item_id: i.item_id })) : null,
        h("span", { class: ["late", late > 0 && "bad"] }, i.actual_start != null
          ? [clock(i.actual_start), late != null ? ` (${lateText(late)})` : ""].join("") : ""));
    }));
  }

  function siteWarning(item, state) {
    if (!item?.site) return null;
    const s = state.sites[item.site];
    const link = s?.link?.state || "unknown";
    if (link === "online") return null;
    return h("div", { class: "warn-line", role: "alert" },
      t("agenda.site_not_online", { site: s?.name || item.site, state: t(`link.${link}`) }));
  }

  function block(label, item, current, state) {
    if (!item) {
      return h("div", { class: "item empty" }, h("div", { class: "label" }, label),
        h("p", {}, current ? t("agenda.none") : t("agenda.end")));
    }
    const plannedMs = item.duration_min * 60000;
    const over = current && item.actual_start && ctx.now() - item.actual_start > plannedMs;
    const late = minutesLate(item);
    return h("div", { class: ["item", current && "current", (over || item.overrun) && current && "over"] },
      h("div", { class: "label" }, `${label} · ${t("agenda.item", { n: item.order })}`),
      h("div", { class: "content" }, item.content),
      h("div", { class: "presenter" }, [item.presenter, item.presenter_title].filter(Boolean).join(", ")),
      h("div", { class: "meta" },
        item.site ? state.sites[item.site]?.name || item.site : t("agenda.all_sites"), " · ",
        t("agenda.planned", { time: clock(item.planned_start), min: item.duration_min })),
      current && item.actual_start ? h("div", { class: "timing" },
        h("span", {}, t("agenda.actual", { time: clock(item.actual_start) })),
        h("span", { class: ["late", late > 0 && "bad"] }, lateText(late)),
        h("span", { class: "elapsed-box" }, elapsedEl(item.actual_start, "elapsed"),
          ` / ${String(item.duration_min).padStart(2, "0")}:00`)) : null,
      current || !item.site ? null : h("div", { class: "cue-line" },
        cueMark(latestCue(state, { site: item.site, item_id: item.item_id }))),
      current ? null : siteWarning(item, state));
  }

  return { el: p.el, render };
}
