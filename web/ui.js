// Small DOM helpers shared by the consoles. Text always goes in as text nodes
// (never innerHTML), so nothing from the hub can inject markup.

import { t } from "./i18n.js";

const PROPS = new Set(["value", "checked", "disabled", "selected", "type", "min", "max", "required"]);

/** h("div", {class: "x", onclick: fn, "data-id": 1}, "text", child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces all children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function button(label, onclick, cls = "") {
  return h("button", { type: "button", class: cls, onclick }, label);
}

export function select(name, options, value) {
  return h("select", { name },
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

export function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}

// ---- time ----

let tz = "Asia/Ho_Chi_Minh";
export function setTimezone(zone) {
  if (zone) tz = zone;
}

export function clock(ms) {
  if (ms == null) return "";
  return new Date(ms).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", timeZone: tz });
}

/** The date (dd/mm/yyyy) of ms in the conference's zone. */
export function dateOf(ms) {
  if (ms == null) return "";
  return new Date(ms).toLocaleDateString("vi-VN", { day: "2-digit", month: "2-digit", year: "numeric", timeZone: tz });
}

/** The last second of a day ("2026-12-15") in the zone ``zone``, as Unix ms. */
export function endOfDay(day, zone = tz) {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d, 23, 59, 59);
  // What the zone's clock reads at that instant, seen as UTC: the difference is its offset.
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(guess)).map((p) => [p.type, Number(p.value)]));
  const seen = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return guess - (seen - guess);
}

export function ago(ms, now) {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 60) return t("ago.s", { n: s });
  if (s < 3600) return t("ago.m", { n: Math.floor(s / 60) });
  return t("ago.h", { n: Math.floor(s / 3600) });
}

/** mm:ss of the time left; "+mm:ss" once past. */
export function countdown(endsAt, now) {
  const left = Math.round((endsAt - now) / 1000);
  const a = Math.abs(left);
  const text = `${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
  return left < 0 ? `+${text}` : text;
}

/** Elements that show a live time: <span data-ago=MS> or <span data-ends=MS>. */
export function agoEl(ms, cls = "ago") {
  return h("span", { class: cls, "data-ago": ms });
}

/** A label for a countdown: ``before`` while time is left, ``after`` once it is over. */
export function overLabelEl(endsAt, before, after, cls = "label") {
  return h("div", { class: cls, "data-label-ends": endsAt, "data-before": before, "data-after": after }, before);
}

/** The current time (the hub's clock, the conference's zone), live. */
export function clockEl(cls = "clock") {
  return h("span", { class: cls, "data-clock": "" });
}

export function countdownEl(endsAt, cls = "countdown") {
  return h("span", { class: cls, "data-ends": endsAt });
}

/** Elapsed time as mm:ss (h:mm:ss past an hour). */
export function elapsed(sinceMs, now) {
  const s = Math.max(0, Math.floor((now - sinceMs) / 1000));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** <span data-since=MS>: a live elapsed time. */
export function elapsedEl(ms, cls = "elapsed") {
  return h("span", { class: cls, "data-since": ms });
}

/** Refreshes every live time under root; called once a second and after renders. */
export function tick(root, now) {
  for (const el of root.querySelectorAll("[data-since]")) {
    el.textContent = elapsed(Number(el.dataset.since), now);
  }
  for (const el of root.querySelectorAll("[data-ago]")) {
    el.textContent = ago(Number(el.dataset.ago), now);
  }
  // A label that says "time left" until the end, then "over time" (the chair's display).
  for (const el of root.querySelectorAll("[data-label-ends]")) {
    const over = now > Number(el.dataset.labelEnds);
    el.textContent = over ? el.dataset.after : el.dataset.before;
    el.classList.toggle("over", over);
  }
  for (const el of root.querySelectorAll("[data-clock]")) {
    el.textContent = clock(now);
  }
  for (const el of root.querySelectorAll("[data-ends]")) {
    const ends = Number(el.dataset.ends);
    el.textContent = countdown(ends, now);
    const left = ends - now;
    el.classList.toggle("over", left < 0);
    el.classList.toggle("warn", left >= 0 && left < 60000);
  }
}

// ---- toasts ----

export function toast(message, kind = "error") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.appendChild(box);
  }
  const el = h("div", { class: `toast ${kind}` }, message);
  el.addEventListener("click", () => el.remove());
  box.appendChild(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 3500);
}

// ---- a small modal for one line of text ----

/** ask(title, label, value?) → Promise<string|null> (null when cancelled). */
export function ask(title, label, value = "") {
  return new Promise((resolve) => {
    const input = h("input", { type: "text", value, maxlength: 2000, required: true });
    const dlg = h("dialog", { class: "ask" },
      h("form", { method: "dialog" },
        h("h3", {}, title),
        field(label, input),
        h("div", { class: "row end" },
          h("button", { type: "button", class: "ghost", value: "cancel",
            onclick: () => dlg.close("cancel") }, t("cancel")),
          h("button", { type: "submit", class: "primary", value: "ok" }, t("ok")))));
    dlg.addEventListener("close", () => {
      const v = input.value.trim();
      dlg.remove();
      resolve(dlg.returnValue === "ok" && v ? v : null);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    input.focus();
  });
}

export function confirmBox(message) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "ask" },
      h("form", { method: "dialog" },
        h("p", {}, message),
        h("div", { class: "row end" },
          h("button", { type: "button", class: "ghost", onclick: () => dlg.close("cancel") }, t("cancel")),
          h("button", { type: "submit", class: "primary", value: "ok" }, t("ok")))));
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(dlg.returnValue === "ok");
    });
    document.body.appendChild(dlg);
    dlg.showModal();
  });
}

/** A panel with a title bar and a body; returns {el, body, head}. */
export function panel(title, cls = "") {
  const head = h("div", { class: "panel-head" }, h("h2", {}, title));
  const body = h("div", { class: "panel-body" });
  return { el: h("section", { class: `panel ${cls}` }, head, body), head, body };
}

/**
 * Panes behind tabs: tabs(id, [{key, label, el}], {onSelect?}) → {el, select(key), setBadge(key, n)}.
 * The choice is remembered per console (localStorage ``controlroom.tab.<id>``); arrow
 * keys move between tabs as the WAI-ARIA tabs pattern has it. A pane's own panel title
 * is hidden (the tab says it) but kept for screen readers.
 */
export function tabs(id, panes, { onSelect } = {}) {
  const storeKey = `controlroom.tab.${id}`;
  const list = h("div", { class: "tab-list", role: "tablist" });
  const body = h("div", { class: "tab-panes" });
  const entries = new Map();
  for (const p of panes) {
    const badge = h("span", { class: "tab-badge", hidden: true });
    const tab = h("button", { type: "button", role: "tab", class: "tab", id: `tab-${id}-${p.key}`,
      "aria-controls": `pane-${id}-${p.key}`, "data-tab": p.key, onclick: () => select(p.key, true) },
    p.label, badge);
    const pane = h("div", { class: "tab-pane", role: "tabpanel", id: `pane-${id}-${p.key}`,
      "aria-labelledby": `tab-${id}-${p.key}` }, p.el);
    list.appendChild(tab);
    body.appendChild(pane);
    entries.set(p.key, { tab, pane, badge });
  }
  list.addEventListener("keydown", (e) => {
    const keys = [...entries.keys()];
    const at = keys.indexOf(e.target.dataset?.tab);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    const to = step ? keys[(at + step + keys.length) % keys.length]
      : e.key === "Home" ? keys[0] : e.key === "End" ? keys[keys.length - 1] : null;
    if (!to) return;
    e.preventDefault();
    select(to, true);
    entries.get(to).tab.focus();
  });
  function select(key, remember = false) {
    if (!entries.has(key)) key = panes[0].key;
    for (const [k, { tab, pane }] of entries) {
      const on = k === key;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      pane.hidden = !on;
    }
    if (remember) localStorage.setItem(storeKey, key);
    onSelect?.(key);
  }
  select(localStorage.getItem(storeKey) || panes[0].key);
  return {
    el: h("section", { class: `tabs tabs-${id}` }, list, body),
    select,
    /** A count beside a tab's label (unread messages, a running campaign); 0 hides it. */
    setBadge(key, n, label = String(n)) {
      const e = entries.get(key);
      if (!e) return;
      e.badge.hidden = !n;
      e.badge.textContent = n ? label : "";
    },
  };
}
