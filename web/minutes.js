// The minutes (biên bản) as the secretary keeps them live: a note goes under the
// run-script item that is running (or the one chosen), the speeches the queue has
// recorded sit among the notes in time order, and an edit is a new version (the
// old ones stay, and the note says who changed it).

import { t } from "./i18n.js";
import { h, fill, panel, field, ask, clock, button } from "./ui.js";

/** The secretary's pane: {el, render}. */
export function minutesPanel(ctx) {
  const p = panel(t("minutes.title"), "minutes");
  const itemSel = h("select", { name: "item" });
  const text = h("textarea", { name: "text", required: true, maxlength: 8000, rows: 2 });
  const form = h("form", { class: "form-grid minutes-form" },
    field(t("minutes.item"), itemSel), field(t("minutes.text"), text),
    h("button", { type: "submit", class: "primary" }, t("minutes.add")));
  const list = h("div", { class: "minutes-list" });
  p.body.append(ctx.can("minutes.note") ? form : null, list);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const args = { text: text.value.trim() };
    if (itemSel.value) args.item = itemSel.value;
    if (await ctx.cmd("minutes.note", args)) {
      text.value = "";
      text.focus();
    }
  });

  let shown = "";
  let current = null;
  function render(state) {
    const r = ctx.store.revs;
    const key = `${r.minutes}.${r.agenda}.${r.speaking}`;
    if (key === shown) return;
    shown = key;
    const items = [...state.agenda.items].sort((a, b) => a.order - b.order);
    // The running item is the default, until the secretary picks another one.
    if (itemSel.options.length !== items.length + 1 || current !== state.agenda.current) {
      const keep = itemSel.value && itemSel.value !== current ? itemSel.value : state.agenda.current || "";
      current = state.agenda.current;
      fill(itemSel, h("option", { value: "" }, t("minutes.no_item")),
        items.map((i) => h("option", { value: i.item_id, selected: i.item_id === keep }, `${i.order}. ${i.content}`)));
    }
    const notes = Object.values(state.minutes || {});
    const speeches = Object.values(state.speaking.requests).filter((q) => q.granted_at);
    const groups = new Map([["", []], ...items.map((i) => [i.item_id, []])]);
    for (const n of notes) (groups.get(n.item || "") || groups.get("")).push({ at: n.at, note: n });
    const starts = items.filter((i) => i.actual_start).map((i) => [i.actual_start, i.item_id])
      .sort((a, b) => a[0] - b[0]);
    for (const q of speeches) {
      const before = starts.filter(([at]) => at <= q.granted_at);
      groups.get(before.length ? before.at(-1)[1] : "").push({ at: q.granted_at, speech: q });
    }
    const title = (id) => {
      const i = items.find((x) => x.item_id === id);
      return i ? `${i.order}. ${i.content}` : t("minutes.no_item");
    };
    const blocks = [...groups].filter(([, entries]) => entries.length).map(([id, entries]) =>
      h("section", { class: "minutes-item", "data-item": id },
        h("h3", {}, title(id)),
        h("ul", {}, entries.sort((a, b) => a.at - b.at).map((e) => e.note ? noteRow(e.note)
          : h("li", { class: "minutes-speech" }, h("b", {}, clock(e.at)), " ",
            t("minutes.speech", { speaker: e.speech.speaker,
              site: state.sites[e.speech.site]?.name || e.speech.site }))))));
    fill(list, blocks.length ? blocks : h("p", { class: "empty" }, t("minutes.empty")));
  }

  function noteRow(n) {
    const edits = n.versions.length - 1;
    const last = n.versions.at(-1);
    return h("li", { class: "minutes-note", "data-note": n.note_id },
      h("b", {}, clock(n.at)), " ", h("span", { class: "minutes-text" }, n.text), " ",
      h("span", { class: "sub" }, edits ? t("minutes.edited_by", { who: last.account, time: clock(last.at) })
        : t("minutes.by", { who: n.account })),
      ctx.can("minutes.edit") ? button(t("minutes.edit"), async () => {
        const next = await ask(t("minutes.edit"), t("minutes.text"), n.text);
        if (next && next !== n.text) ctx.cmd("minutes.edit", { note_id: n.note_id, text: next });
      }, "ghost small") : null);
  }

  return { el: p.el, render };
}
