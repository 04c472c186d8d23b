// The chair's assistant: incoming requests, the approved queue (reorder by drag
// and by keyboard), the floor (grant with a time limit, extend, end), reject with
// a reason, add a speaker. Each request shows its site's link state, and giving
// the floor to a site that is not online asks first.

import { latestCue, cueMark } from "./cues.js";
import { t } from "./i18n.js";
import { h, fill, button, panel, agoEl, countdownEl, select, field, ask, confirmBox, tabs } from "./ui.js";
import { linkNumbers } from "./spark.js";
import { alert } from "./sound.js";
import { soundMenu } from "./soundmenu.js";
import { conclusionsPanel } from "./followup.js";
import { minutesPanel } from "./minutes.js";

const LIMITS_MIN = [2, 3, 5, 7, 10, 15];
const EXTEND_MIN = [1, 3];
const KINDS = ["speech", "comment", "question"];
// A request this new is marked as new (and sounded once when it arrives).
const FRESH_MS = 20000;

export function mount(container, ctx) {
  const floor = panel(t("speak.floor"), "floor");
  const incoming = panel(t("speak.incoming"), "incoming");
  incoming.head.append(h("span", { class: "spacer" }), soundMenu(["request"]));
  const queue = panel(t("speak.queue"), "queue");

  const limit = select("limit", LIMITS_MIN.map((m) => [String(m * 60), t("speak.minutes", { n: m })]), "420");
  limit.setAttribute("aria-label", t("speak.limit"));
  queue.head.appendChild(h("label", { class: "toggle" }, `${t("speak.limit")}: `, limit));

  const floorBody = h("div", { class: "floor-list" });
  const incomingList = h("div", { class: "req-list" });
  const queueList = h("ol", { class: "req-list queue-list" });
  floor.body.appendChild(floorBody);
  incoming.body.appendChild(incomingList);
  queue.body.append(h("p", { class: "sub hint" }, t("speak.reorder_hint")), queueList);

  // speak.add: the assistant registers a speaker directly (approved at the end).
  const add = panel(t("speak.add"), "add");
  const siteSel = h("select", { name: "site", required: true });
  const addForm = h("form", { class: "form-grid" },
    field(t("role.site"), siteSel),
    field(t("site.speaker"), h("input", { name: "speaker", required: true, maxlength: 200 })),
    field(t("site.speaker_title"), h("input", { name: "title", required: true, maxlength: 200 })),
    field(t("site.topic"), h("input", { name: "topic", required: true, maxlength: 2000 })),
    field(t("site.kind"), select("kind", KINDS.map((k) => [k, t(`kind.${k}`)]), "speech")),
    h("button", { type: "submit", class: "primary" }, t("speak.add")));
  addForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(addForm);
    const args = Object.fromEntries(["site", "speaker", "title", "topic", "kind"].map((k) => [k, String(f.get(k)).trim()]));
    const r = await ctx.cmd("speak.add", args, (res) => t("site.registered", { id: res.request_id }));
    if (r) addForm.reset();
  });
  add.body.appendChild(addForm);

  // The secretary's paper: "add a speaker", the minutes and the conclusions share the
  // pane under the floor.
  const conclusions = conclusionsPanel(ctx);
  const minutes = minutesPanel(ctx);
  const paper = tabs("assistant", [
    ...(ctx.can("speak.add") ? [{ key: "add", label: t("speak.add"), el: add.el }] : []),
    { key: "minutes", label: t("minutes.title"), el: minutes.el },
    { key: "conclusions", label: t("tab.conclusions"), el: conclusions.el },
  ]);
  paper.el.classList.add("add");
  container.appendChild(h("div", { class: "assistant-grid" }, floor.el, incoming.el, queue.el, paper.el));

  // A new request sounds (a live event, not what a snapshot already held).
  const unsubscribe = ctx.store.subscribe((state, ev) => {
    if (ev?.name === "speak.requested") alert("request");
  });

  let sitesKey = "";
  let revs = "";
  let dragging = null;

  // Each action button has a focus key (action:request), so that focus survives the
  // redraw an action causes: on the same button if it is still there, else on the
  // first of its kind in the same list, never dropped to the page.
  const act = (name, label, fn, cls = "", rid = "") => {
    if (!ctx.can(name)) return null;
    const el = button(label, fn, cls);
    el.dataset.focus = `${name}:${rid}`;
    return el;
  };

  function keepFocus(list, redraw) {
    const key = list.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
    redraw();
    if (!key) return;
    const again = list.querySelector(`[data-focus="${key}"]`) ||
      list.querySelector(`[data-focus^="${key.split(":")[0]}:"]`) || list.querySelector("button");
    again?.focus();
  }

  // The floor, from the keyboard (not while typing): N the next speaker (ending the
  // current one first), E end, + one more minute. Shown on screen.
  async function endAndNext(state) {
    const sp = state.speaking;
    const current = sp.floor.map((id) => sp.requests[id]).find(Boolean);
    const next = sp.queue.map((id) => sp.requests[id]).find(Boolean);
    if (current && !(await ctx.cmd("speak.end", { request_id: current.request_id }))) return;
    if (next) await grant(ctx.store.state, next);
  }
  const onKey = (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target.closest?.("input, textarea, select, dialog")) return;
    const state = ctx.store.state;
    const current = state.speaking.floor.map((id) => state.speaking.requests[id]).find(Boolean);
    if (e.key === "n" || e.key === "N") endAndNext(state);
    else if ((e.key === "e" || e.key === "E") && current) ctx.cmd("speak.end", { request_id: current.request_id });
    else if (e.key === "+" && current) ctx.cmd("speak.extend", { request_id: current.request_id, add_s: 60 });
    else return;
    e.preventDefault();
  };
  if (ctx.can("speak.grant")) {
    document.addEventListener("keydown", onKey);
    floor.body.appendChild(h("p", { class: "sub hint keys" }, t("speak.keys")));
  }

  function siteLabel(state, r) {
    return state.sites[r.site]?.name || r.site_name || r.site;
  }

  function linkPill(state, r) {
    const link = state.sites[r.site]?.link || { state: "unknown" };
    const st = link.state || "unknown";
    return h("span", { class: `link-pill tiny link-${st}`, title: t("site.link", { state: t(`link.${st}`) }) },
      t(`link.${st}`), link.rtt_ms != null ? ` · ${linkNumbers(link)}` : "");
  }

  function who(state, r) {
    return [
      h("div", { class: "speaker" }, r.speaker),
      h("div", { class: "sub" }, [r.title, siteLabel(state, r)].filter(Boolean).join(" · "), " ", linkPill(state, r)),
      h("div", { class: "sub" }, h("span", { class: `kind kind-${r.kind}` }, t(`kind.${r.kind}`)),
        r.topic ? ` ${r.topic}` : ""),
    ];
  }

  async function grant(state, r) {
    const link = state.sites[r.site]?.link?.state || "unknown";
    if (link !== "online" &&
      !(await confirmBox(t("speak.warn_link", { site: siteLabel(state, r), state: t(`link.${link}`) })))) return;
    ctx.cmd("speak.grant", { request_id: r.request_id, limit_s: Number(limit.value) || 420 });
  }

  function move(rid, position) {
    ctx.cmd("speak.move", { request_id: rid, position });
  }

  /** Final 1-based position when dropping item `from` before/after item `to` (0-based). */
  function dropPosition(from, to, after) {
    const target = from < to ? to - 1 : to;
    return target + (after ? 1 : 0) + 1;
  }

  function queueRow(state, r, i, n) {
    const rid = r.request_id;
    const canMove = ctx.can("speak.move");
    const handle = canMove ? h("button", { type: "button", class: "handle icon", "data-rid": rid,
      title: t("speak.reorder_hint"), "aria-label": t("speak.handle", { n: i + 1, speaker: r.speaker }) }, "⠿") : null;
    const li = h("li", { class: "req", draggable: canMove ? "true" : null, "data-rid": rid },
      handle, h("span", { class: "pos" }, String(i + 1)),
      h("div", { class: "who" }, who(state, r),
        cueMark(latestCue(state, { site: r.site, request_id: rid }))),
      h("div", { class: "row wrap actions" },
        act("speak.grant", t("speak.grant"), () => grant(state, r), "primary", rid),
        act("speak.reject", t("speak.reject"), () => reject(r), "ghost", rid)));
    if (!canMove) return li;
    li.addEventListener("keydown", (e) => {
      const up = e.key === "ArrowUp" && (e.altKey || e.target === handle);
      const down = e.key === "ArrowDown" && (e.altKey || e.target === handle);
      if (up && i > 0) move(rid, i);
      else if (down && i < n - 1) move(rid, i + 2);
      else return;
      e.preventDefault();
    });
    li.addEventListener("dragstart", (e) => {
      dragging = i;
      e.dataTransfer.setData("text/plain", rid);
      e.dataTransfer.effectAllowed = "move";
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", () => {
      dragging = null;
      li.classList.remove("dragging");
    });
    li.addEventListener("dragover", (e) => {
      if (dragging == null) return;
      e.preventDefault();
      const after = e.offsetY > li.offsetHeight / 2;
      li.classList.toggle("drop-before", !after);
      li.classList.toggle("drop-after", after);
    });
    li.addEventListener("dragleave", () => li.classList.remove("drop-before", "drop-after"));
    li.addEventListener("drop", (e) => {
      e.preventDefault();
      li.classList.remove("drop-before", "drop-after");
      const from = dragging;
      dragging = null;
      if (from == null || from === i) return;
      const pos = dropPosition(from, i, e.offsetY > li.offsetHeight / 2);
      if (pos !== from + 1) move(e.dataTransfer.getData("text/plain") || rid, pos);
    });
    return li;
  }

  function render(state) {
    conclusions.render(state);
    minutes.render(state);
    const key = `${ctx.store.revs.speaking}.${ctx.store.revs.sites}.${ctx.store.revs.links}.${ctx.store.revs.cues}`;
    if (key === revs) return;
    revs = key;
    const sp = state.speaking;
    const reqs = sp.requests;

    const onFloor = sp.floor.map((id) => reqs[id]).filter(Boolean);
    const next = sp.queue.map((id) => reqs[id]).find(Boolean);
    keepFocus(floorBody, () => fill(floorBody, onFloor.length ? onFloor.map((r) =>
      h("div", { class: ["on-floor", r.overrun && "over"] },
        h("div", { class: "who" }, who(state, r)),
        h("div", { class: "clock" }, countdownEl(r.ends_at, "countdown huge")),
        h("div", { class: "row wrap" },
          EXTEND_MIN.map((m) => act("speak.extend", t("speak.extend_n", { n: m }),
            () => ctx.cmd("speak.extend", { request_id: r.request_id, add_s: m * 60 }), "big", `${m}`)),
          act("speak.end", t("speak.end"), () => ctx.cmd("speak.end", { request_id: r.request_id }), "danger big"),
          next ? act("speak.grant", t("speak.end_and_next", { speaker: next.speaker }),
            () => endAndNext(ctx.store.state), "primary big") : null)))
      : h("p", { class: "empty" }, t("speak.floor_empty"))));

    const waiting = Object.values(reqs).filter((r) => r.state === "requested")
      .sort((a, b) => a.requested_at - b.requested_at);
    incoming.head.querySelector("h2").textContent = `${t("speak.incoming")} (${waiting.length})`;
    keepFocus(incomingList, () => fill(incomingList, waiting.length ? waiting.map((r) =>
      h("div", { class: ["req", ctx.now() - r.requested_at < FRESH_MS && "fresh"], "data-rid": r.request_id },
        h("div", { class: "who" }, who(state, r), h("div", { class: "sub" }, `${r.request_id} · `, agoEl(r.requested_at))),
        h("div", { class: "row wrap actions" },
          act("speak.approve", t("speak.approve"), () => ctx.cmd("speak.approve", { request_id: r.request_id }), "primary", r.request_id),
          act("speak.reject", t("speak.reject"), () => reject(r), "danger", r.request_id))))
      : h("p", { class: "empty" }, t("speak.empty"))));

    const q = sp.queue.map((id) => reqs[id]).filter(Boolean);
    queue.head.querySelector("h2").textContent = `${t("speak.queue")} (${q.length})`;
    // Redrawing the list keeps the keyboard focus on the same request's handle.
    const active = document.activeElement;
    const focused = active?.classList?.contains("handle") && queueList.contains(active) ? active.dataset.rid : null;
    keepFocus(queueList, () => fill(queueList,
      q.length ? q.map((r, i) => queueRow(state, r, i, q.length)) : h("p", { class: "empty" }, t("speak.empty"))));
    if (focused) queueList.querySelector(`button.handle[data-rid="${focused}"]`)?.focus();

    const skey = Object.keys(state.sites).join(",");
    if (skey !== sitesKey) {
      sitesKey = skey;
      fill(siteSel, Object.values(state.sites).map((s) => h("option", { value: s.code }, `${s.code} · ${s.name}`)));
    }
  }

  async function reject(r) {
    const reason = await ask(`${t("speak.reject")}: ${r.speaker}`, t("speak.ask_reason"));
    if (reason) ctx.cmd("speak.reject", { request_id: r.request_id, reason });
  }

  return { render, destroy() { document.removeEventListener("keydown", onKey); unsubscribe(); } };
}
