// Entry point: login, then the console(s) for the account's role, with the
// header (conference, phase, connection indicator, language, logout).

import { t, has, lang, setLang, onLangChange } from "./i18n.js";
import { Connection } from "./connection.js";
import { Store } from "./state.js";
import { h, fill, toast, tick, setTimezone, clock } from "./ui.js";
import * as operator from "./operator.js";
import * as assistant from "./assistant.js";
import * as chair from "./chair.js";
import * as siteConsole from "./site.js";
import { TestCallAnswerer } from "./rtc.js";
import { waiting, notice, show, permissionButton } from "./notify.js";
import { can } from "./perms.js";
import { refusalText } from "./messages.js";

const SESSION_KEY = "controlroom.session";
const CONSOLES = {
  admin: [operator, assistant],
  operator: [operator],
  assistant: [assistant],
  chair: [chair],
  site: [siteConsole],
};

const root = document.getElementById("app");
let live = null; // {conn, store, views, timers, unsubscribe}

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    return s && s.token ? s : null;
  } catch {
    return null;
  }
}

// ---- login ----

function showLogin(message) {
  document.body.className = "login-page";
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const msg = h("p", { class: "login-msg", role: "alert" }, message || "");
  const submit = h("button", { type: "submit", class: "primary big" }, t("login.submit"));
  // Shown only when one account name opens several conferences on this hub (409).
  const conference = h("select", { name: "conference" });
  const conferenceField = h("label", { class: "field", hidden: true },
    h("span", {}, t("login.conference")), conference);
  const form = h("form", { class: "login", id: "login-form" },
    h("h1", {}, t("app.title")),
    h("label", { class: "field" }, h("span", {}, t("login.username")), user),
    h("label", { class: "field" }, h("span", {}, t("login.password")), pass),
    conferenceField,
    submit, msg);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    msg.textContent = "";
    try {
      const res = await fetch("/api/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          username: user.value.trim(),
          password: pass.value,
          ...(conferenceField.hidden ? {} : { conference: conference.value }),
        }),
      });
      const body = await res.json().catch(() => ({}));
      if (res.status === 401) msg.textContent = t("login.failed");
      else if (res.status === 429) {
        msg.textContent = t("login.throttled", { seconds: res.headers.get("Retry-After") || "10" });
      } else if (res.status === 409 && Array.isArray(body.conferences)) {
        conference.replaceChildren(...body.conferences.map(
          (c) => h("option", { value: c.id }, `${c.title} (${c.id})`)));
        conferenceField.hidden = false;
        msg.textContent = t("login.choose_conference");
        conference.focus();
      } else if (!res.ok) msg.textContent = t("login.error", { message: res.status });
      else {
        sessionStorage.setItem(SESSION_KEY, JSON.stringify(body));
        startConsole(body);
        return;
      }
    } catch (err) {
      msg.textContent = t("login.error", { message: err.message });
    }
    submit.disabled = false;
  });
  fill(root, h("div", { class: "login-wrap" }, form, langButton()));
  user.focus();
}

function langButton() {
  return h("button", { type: "button", class: "ghost lang", onclick: () => setLang(lang() === "vi" ? "en" : "vi") },
    t("lang.switch"));
}

function logout(message) {
  stopConsole();
  sessionStorage.removeItem(SESSION_KEY);
  showLogin(message);
}

// ---- the console ----

function stopConsole() {
  if (!live) return;
  live.answerer?.destroy();
  live.conn.stop();
  live.unsubscribe();
  for (const timer of live.timers) clearInterval(timer);
  for (const v of live.views) v.destroy?.();
  live = null;
}

function startConsole(session) {
  stopConsole();
  const store = new Store({ role: session.role, site: session.site });
  const conn = new Connection({ token: session.token, conference: session.conference, store });
  live = { session, store, conn, views: [], timers: [], unsubscribe: () => {} };

  conn.addEventListener("unauthenticated", () => logout(t("login.expired")));
  conn.addEventListener("frame", (e) => {
    const f = e.detail;
    // An unauthenticated error is followed by close 4001 and the login form says so.
    if (f.type === "error" && f.code !== "unauthenticated") toast(errorText(f));
  });
  conn.addEventListener("status", () => renderIndicator());
  conn.addEventListener("event", (e) => {
    const ev = e.detail;
    // A console that reconnects after a restart of the hub is told so, once, with the gap.
    if (ev.name === "hub.started") {
      const key = ev.data.clean ? "hub.restarted" : "hub.recovered";
      toast(t(key, { seconds: ev.data.down_s }), ev.data.clean ? "info" : "error");
    }
  });
  if (session.role === "site") live.answerer = new TestCallAnswerer(conn, session.site);

  buildShell();
  live.unsubscribe = store.subscribe((state, ev) => {
    scheduleRender();
    // A system notification for what happens now, not for what a catch-up replays.
    if (ev?.name && ev.at && conn.now() - ev.at < 60_000) show(notice(ev, state, session));
  });
  live.timers.push(setInterval(() => tick(document.body, conn.now()), 1000)); // dialogs too
  conn.start();
  scheduleRender();
}

/** ctx.cmd(name, args, okText?) → result or null; errors become toasts. */
function makeCtx() {
  const { store, conn, session } = live;
  return {
    store,
    conn,
    session,
    now: () => conn.now(),
    can: (name) => can(session.role, name),
    async cmd(name, args, okText) {
      if (conn.status !== "connected") toast(t("err.offline"), "info");
      try {
        const result = await conn.send(name, args);
        if (okText) toast(typeof okText === "function" ? okText(result) : okText, "ok");
        return result;
      } catch (err) {
        toast(errorText(err));
        return null;
      }
    },
  };
}

// A refusal in the reader's language: its code's words, then what exactly was
// refused (the hub's text_code). The hub's English message is shown only to a
// reader of English, never inside a Vietnamese screen.
function errorText(err) {
  if (err.code === "timeout") return t("err.timeout");
  const key = has(`err.${err.code}`) ? `err.${err.code}` : "err.internal";
  const detail = refusalText(err.textCode || err.text_code, live?.store?.state);
  if (detail) return `${t(key)}: ${detail}`;
  const message = lang() === "en" && err.message && err.message !== err.code ? err.message : "";
  return message ? `${t(key)}: ${message}` : t(key);
}

let header = null;
let indicator = null;
let phaseBadge = null;
let titleEl = null;
let classBadge = null;
let loading = null;

function buildShell() {
  const { session } = live;
  document.body.className = `role-${session.role}`;
  indicator = h("span", { class: "conn", role: "status" });
  phaseBadge = h("span", { class: "phase-badge" });
  titleEl = h("span", { class: "conf-title" }, "");
  classBadge = h("span", { class: "class-badge", hidden: true });
  header = h("header", { class: "top" },
    h("div", { class: "brand" }, classBadge, titleEl, phaseBadge),
    h("div", { class: "whoami" },
      h("span", { class: "role" }, t(`role.${session.role}`) + (session.site ? ` · ${session.site}` : "")),
      h("span", { class: "name" }, session.name || session.account),
      indicator, permissionButton(h), langButton(),
      h("button", { type: "button", class: "ghost", onclick: () => logout() }, t("logout"))));
  const main = h("main", { class: `consoles role-${session.role}` });
  loading = h("p", { class: "loading" }, t("loading"));
  banner = h("div", { class: "hub-gone", role: "alert", hidden: true });
  fill(root, header, banner, loading, main);
  const ctx = makeCtx();
  live.views = (CONSOLES[session.role] || []).map((mod) => {
    const container = h("div", { class: "console" });
    main.appendChild(container);
    return mod.mount(container, ctx);
  });
  renderIndicator();
}

let banner = null;
let staleSince = null;

function renderIndicator() {
  if (!live || !indicator) return;
  const status = live.conn.status;
  indicator.className = `conn ${status}`;
  indicator.textContent = t(`conn.${status}`);
  // Once synced, losing the hub greys every view and says since when nothing is live,
  // so nobody reads a stale grid as the truth.
  const gone = live.store.loaded && status !== "connected";
  if (gone && staleSince == null) staleSince = Date.now();
  if (!gone) staleSince = null;
  document.body.classList.toggle("stale", gone);
  if (banner) {
    banner.hidden = !gone;
    banner.textContent = gone ? t("hub.gone", { time: clock(staleSince) }) : "";
  }
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    renderNow();
  });
}

/** Renders every view at once (the frame callback; also used by the benchmark). */
function renderNow() {
  if (!live) return;
  const { store, conn } = live;
  if (!store.loaded) return;
  loading.hidden = true;
  const conf = store.state.conference;
  setTimezone(conf.timezone);
  titleEl.textContent = conf.title;
  const count = waiting(store.state, live.session);
  document.title = `${count ? `(${count}) ` : ""}${conf.title} · ${t("app.short")}`;
  // How secret the content is, on every page; a printout carries the viewer's name.
  const secret = conf.classification && conf.classification !== "normal";
  classBadge.hidden = !secret;
  classBadge.textContent = secret ? t(`class.${conf.classification}`) : "";
  document.body.dataset.watermark = secret
    ? `${t(`class.${conf.classification}`)} · ${live.session.name || live.session.account}` : "";
  phaseBadge.className = `phase-badge phase-${conf.phase}`;
  phaseBadge.textContent = t(`phase.${conf.phase}`);
  for (const v of live.views) {
    try {
      v.render(store.state);
    } catch (err) {
      console.error(err);
    }
  }
  tick(root, conn.now());
}

// A handle for tests and benchmarks (the live connection and store); not an API.
window.__controlroom = {
  get conn() { return live?.conn; },
  get store() { return live?.store; },
  renderNow,
};

onLangChange(() => {
  if (live) {
    // Rebuild the views in the new language; the connection and state stay.
    for (const v of live.views) v.destroy?.();
    buildShell();
    scheduleRender();
  } else {
    const form = document.getElementById("login-form");
    showLogin(form ? form.querySelector(".login-msg")?.textContent : "");
  }
});

const saved = loadSession();
if (saved) startConsole(saved);
else showLogin();
