// Conclusions (kết luận) and their follow-up: the central team's pane (add a
// conclusion with its responsible sites and deadline, see each site's part, accept
// or return what a site reports done, the overdue ones first) and the site's pane
// (its own part of each conclusion: report progress, or that it is done).

import { t } from "./i18n.js";
import { h, fill, button, panel, field, ask, dateOf, endOfDay, toast } from "./ui.js";
import { photoEl, upload } from "./threads.js";

const PART_RANK = { done: 0, open: 1, in_progress: 1, accepted: 3 };

/** Parts still owed (not accepted), and how many of them are overdue. */
export function owed(state) {
  let open = 0;
  let overdue = 0;
  for (const c of Object.values(state.conclusions || {})) {
    for (const p of Object.values(c.parts)) {
      if (p.state === "accepted") continue;
      open += 1;
      if (p.overdue) overdue += 1;
    }
  }
  return { open, overdue };
}

function partLine(p) {
  const word = p.state === "in_progress" ? `${t("concl.part.in_progress")} ${p.percent} %` : t(`concl.part.${p.state}`);
  return p.overdue && p.state !== "accepted" && p.state !== "done" ? `${word} · ${t("concl.overdue")}` : word;
}

function lastReport(ctx, p) {
  const r = p.reports.at(-1);
  if (!r || (!r.text && !r.photo)) return null;
  return h("div", { class: "sub concl-report" }, r.text ? `“${r.text}”` : null,
    r.photo ? photoEl(ctx, r.photo) : null);
}

/** The central team's pane: {el, render}. */
export function conclusionsPanel(ctx) {
  const p = panel(t("concl.title"), "conclusions");
  const onlyLate = h("input", { type: "checkbox" });
  p.head.append(h("span", { class: "spacer" }), h("label", { class: "toggle" }, onlyLate, t("concl.only_overdue")));
  const sitesSel = h("select", { name: "sites", multiple: true, size: 6, required: true });
  const form = h("form", { class: "form-grid concl-form" },
    field(t("concl.text"), h("textarea", { name: "text", required: true, maxlength: 2000, rows: 2 })),
    field(t("concl.sites"), sitesSel),
    field(t("concl.deadline"), h("input", { name: "deadline", type: "date", required: true })),
    h("button", { type: "submit", class: "primary" }, t("concl.add")));
  const add = h("details", { class: "concl-add" }, h("summary", {}, t("concl.add")), form);
  const list = h("div", { class: "concl-list" });
  p.body.append(ctx.can("conclusion.add") ? add : null, list);
  onlyLate.addEventListener("change", () => render(ctx.store.state, true));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const r = await ctx.cmd("conclusion.add", {
      text: String(f.get("text")).trim(),
      sites: [...sitesSel.selectedOptions].map((o) => o.value),
      deadline: endOfDay(String(f.get("deadline")), ctx.store.state.conference.timezone),
    }, (res) => t("concl.added", { id: res.conclusion_id }));
    if (r) form.reset();
  });

  let shown = "";
  let sitesKey = "";
  function render(state, force = false) {
    const key = `${ctx.store.revs.conclusions}.${ctx.store.revs.sites}`;
    if (!force && key === shown) return;
    shown = key;
    const skey = Object.keys(state.sites).join(",");
    if (skey !== sitesKey) {
      sitesKey = skey;
      fill(sitesSel, Object.values(state.sites).filter((s) => s.kind !== "central")
        .map((s) => h("option", { value: s.code }, `${s.code} · ${s.name}`)));
    }
    const { overdue } = owed(state);
    p.head.querySelector("h2").textContent = overdue
      ? `${t("concl.title")} (${t("concl.n_overdue", { n: overdue })})` : t("concl.title");
    const all = Object.values(state.conclusions || {})
      .filter((c) => !onlyLate.checked || Object.values(c.parts).some((x) => x.overdue && x.state !== "accepted"))
      .sort((a, b) => a.deadline - b.deadline);
    fill(list, all.length ? all.map((c) => card(state, c)) : h("p", { class: "empty" }, t("concl.none")));
  }

  function card(state, c) {
    const parts = Object.entries(c.parts).sort(([, a], [, b]) =>
      (PART_RANK[a.state] - PART_RANK[b.state]) || (b.overdue - a.overdue));
    return h("article", { class: "concl", "data-conclusion": c.conclusion_id },
      h("div", { class: "concl-top" }, h("b", {}, c.conclusion_id), " ",
        h("span", { class: "concl-text" }, c.text)),
      h("div", { class: "sub" }, t("concl.due", { date: dateOf(c.deadline) })),
      h("ul", { class: "concl-parts" }, parts.map(([code, part]) => h("li", {
        class: ["concl-part", `cp-${part.state}`, part.overdue && part.state !== "accepted" && "overdue"],
        "data-site": code,
      },
      h("span", { class: "concl-site" }, state.sites[code]?.name || code),
      h("span", { class: "concl-state" }, partLine(part)),
      lastReport(ctx, part),
      part.state === "done" ? h("span", { class: "row wrap actions" },
        ctx.can("conclusion.accept") ? button(t("concl.accept"),
          () => ctx.cmd("conclusion.accept", { conclusion_id: c.conclusion_id, site: code }), "ok") : null,
        ctx.can("conclusion.return") ? button(t("concl.return"), async () => {
          const note = await ask(t("concl.return"), t("concl.ask_return"));
          if (note) ctx.cmd("conclusion.return", { conclusion_id: c.conclusion_id, site: code, note });
        }) : null) : null))));
  }

  return { el: p.el, render };
}

/** The site's pane: its part of each conclusion, and a progress report for each. */
export function siteConclusions(ctx, code) {
  const p = panel(t("concl.mine"), "my-conclusions");
  const list = h("div", { class: "concl-list" });
  p.body.appendChild(list);
  let shown = "";

  function render(state) {
    const key = String(ctx.store.revs.conclusions);
    if (key === shown) return;
    shown = key;
    const mine = Object.values(state.conclusions || {}).filter((c) => c.parts[code])
      .sort((a, b) => a.deadline - b.deadline);
    fill(list, mine.length ? mine.map((c) => card(c, c.parts[code])) : h("p", { class: "empty" }, t("concl.none")));
  }

  function card(c, part) {
    const form = part.state === "accepted" ? null : progressForm(c, part);
    return h("article", { class: ["concl", `cp-${part.state}`, part.overdue && part.state !== "accepted" && "overdue"],
      "data-conclusion": c.conclusion_id },
    h("div", { class: "concl-top" }, h("b", {}, c.conclusion_id), " ", h("span", { class: "concl-text" }, c.text)),
    h("div", { class: "sub" }, t("concl.due", { date: dateOf(c.deadline) })),
    h("div", { class: "concl-state" }, partLine(part)),
    part.note ? h("div", { class: "concl-note" }, t("concl.returned", { note: part.note })) : null,
    lastReport(ctx, part),
    form);
  }

  function progressForm(c, part) {
    const form = h("form", { class: "form-grid concl-progress" },
      field(t("concl.progress_text"), h("textarea", { name: "text", rows: 2, maxlength: 2000 })),
      field(t("concl.percent"), h("input", { name: "percent", type: "number", min: 0, max: 100,
        value: String(part.percent || 0), inputmode: "numeric" })),
      h("label", { class: "thread-attach" }, t("concl.attach"),
        h("input", { type: "file", name: "photo", accept: "image/*", class: "visually-hidden" })),
      h("label", { class: "toggle" }, h("input", { type: "checkbox", name: "done" }), t("concl.done")),
      h("button", { type: "submit", class: "primary" }, t("concl.send")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const percent = Math.max(0, Math.min(100, Number.parseInt(String(f.get("percent") || "0"), 10) || 0));
      const args = { conclusion_id: c.conclusion_id, text: String(f.get("text") || "").trim(), percent,
        done: f.get("done") === "on" };
      const picked = form.elements.photo.files[0];
      if (picked) {
        try {
          args.photo = await upload(ctx, code, "site", picked);
        } catch (err) {
          toast(t(err.code === "too_large" ? "thread.photo_big" : "thread.photo_failed"));
          return;
        }
      }
      await ctx.cmd("conclusion.report", args, t("done.sent"));
    });
    return form;
  }

  return { el: p.el, render };
}
