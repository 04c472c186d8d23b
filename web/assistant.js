// The chair's assistant: incoming requests, the approved queue, the floor.

import { t } from "./i18n.js";
import { h, fill, button, panel, agoEl, countdownEl, select, field, ask } from "./ui.js";

const LIMITS_MIN = [2, 3, 5, 7, 10, 15];
const KINDS = ["speech", "comment", "question"];

export function mount(container, ctx) {
  const floor = panel(t("speak.floor"), "floor");
  const incoming = panel(t("speak.incoming"), "incoming");
  const queue = panel(t("speak.queue"), "queue");

  const limit = select("limit", LIMITS_MIN.map((m) => [String(m * 60), t("speak.minutes", { n: m })]), "420");
  queue.head.appendChild(h("label", { class: "toggle" }, `${t("speak.limit")}: `, limit));

  const floorBody = h("div", { class: "floor-list" });
  const incomingList = h("div", { class: "req-list" });
  const queueList = h("ol", { class: "req-list queue-list" });
  floor.body.appendChild(floorBody);
  incoming.body.appendChild(incomingList);
  queue.body.appendChild(queueList);

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

  container.appendChild(h("div", { class: "assistant-grid" }, floor.el, incoming.el, queue.el, add.el));

  let sitesKey = "";

  function limitS() {
    return Number(limit.value) || 420;
  }

  function siteLabel(state, r) {
    return state.sites[r.site]?.name || r.site_name || r.site;
  }

  function who(state, r) {
    return [
      h("div", { class: "speaker" }, r.speaker),
      h("div", { class: "sub" }, [r.title, siteLabel(state, r)].filter(Boolean).join(" · ")),
      h("div", { class: "sub" }, h("span", { class: `kind kind-${r.kind}` }, t(`kind.${r.kind}`)),
        r.topic ? ` ${r.topic}` : ""),
    ];
  }

  function render(state) {
    const sp = state.speaking;
    const reqs = sp.requests;

    // The floor
    const onFloor = sp.floor.map((id) => reqs[id]).filter(Boolean);
    fill(floorBody, onFloor.length ? onFloor.map((r) =>
      h("div", { class: ["on-floor", r.overrun && "over"] },
        h("div", { class: "who" }, who(state, r)),
        h("div", { class: "clock" }, countdownEl(r.ends_at, "countdown huge")),
        h("div", { class: "row wrap" },
          button(t("speak.extend"), () => ctx.cmd("speak.extend", { request_id: r.request_id, add_s: 60 }), "big"),
          button(t("speak.end"), () => ctx.cmd("speak.end", { request_id: r.request_id }), "danger big"))))
      : h("p", { class: "empty" }, t("speak.floor_empty")));

    // Incoming (requested), oldest first
    const waiting = Object.values(reqs).filter((r) => r.state === "requested")
      .sort((a, b) => a.requested_at - b.requested_at);
    incoming.head.querySelector("h2").textContent = `${t("speak.incoming")} (${waiting.length})`;
    fill(incomingList, waiting.length ? waiting.map((r) =>
      h("div", { class: "req" },
        h("div", { class: "who" }, who(state, r), h("div", { class: "sub" }, `${r.request_id} · `, agoEl(r.requested_at))),
        h("div", { class: "row wrap actions" },
          button(t("speak.approve"), () => ctx.cmd("speak.approve", { request_id: r.request_id }), "primary"),
          button(t("speak.reject"), () => reject(r), "danger"))))
      : h("p", { class: "empty" }, t("speak.empty")));

    // The approved queue, in order
    const q = sp.queue.map((id) => reqs[id]).filter(Boolean);
    queue.head.querySelector("h2").textContent = `${t("speak.queue")} (${q.length})`;
    fill(queueList, q.length ? q.map((r, i) =>
      h("li", { class: "req" },
        h("span", { class: "pos" }, String(i + 1)),
        h("div", { class: "who" }, who(state, r)),
        h("div", { class: "row wrap actions" },
          button("▲", () => ctx.cmd("speak.move", { request_id: r.request_id, position: i }), "icon"),
          button("▼", () => ctx.cmd("speak.move", { request_id: r.request_id, position: i + 2 }), "icon"),
          button(t("speak.grant"), () => ctx.cmd("speak.grant", { request_id: r.request_id, limit_s: limitS() }), "primary"),
          button(t("speak.reject"), () => reject(r), "ghost"))))
      : h("p", { class: "empty" }, t("speak.empty")));
    // The up button of the first and the down button of the last do nothing.
    const rows = queueList.querySelectorAll("li");
    if (rows.length) {
      rows[0].querySelector("button").disabled = true;
      rows[rows.length - 1].querySelectorAll("button")[1].disabled = true;
    }
    for (const [i, row] of [...rows].entries()) {
      const [up, down] = row.querySelectorAll("button");
      up.title = t("speak.up");
      down.title = t("speak.down");
      up.setAttribute("aria-label", `${t("speak.up")} ${i + 1}`);
      down.setAttribute("aria-label", `${t("speak.down")} ${i + 1}`);
    }

    const key = Object.keys(state.sites).join(",");
    if (key !== sitesKey) {
      sitesKey = key;
      fill(siteSel, Object.values(state.sites).map((s) => h("option", { value: s.code }, `${s.code} · ${s.name}`)));
    }
  }

  async function reject(r) {
    const reason = await ask(`${t("speak.reject")}: ${r.speaker}`, t("speak.ask_reason"));
    if (reason) ctx.cmd("speak.reject", { request_id: r.request_id, reason });
  }

  return { render };
}
