// Notifications that reach a person who is looking elsewhere: a count in the tab's
// title (what waits for this reader: unread messages, unread announcements, a cue not
// answered, faults not taken in), and a system notification for each new one while
// the tab is hidden, where the reader allowed it. The count is computed from the
// state, so it is as true after a reload as before.

import { t } from "./i18n.js";
import { OPEN_FAULT_STATES } from "./state.js";

/** What waits for the reader of ``session`` in ``state`` (the title's count). */
export function waiting(state, session) {
  if (session.role === "site") {
    const code = session.site;
    const th = state.threads?.[code];
    const announcements = Object.values(state.announcements || {}).filter((a) => !(code in (a.read || {})));
    const cues = Object.values(state.cues || {}).filter((c) => c.site === code && c.ready == null);
    return (th?.unread?.site || 0) + announcements.length + Math.min(cues.length, 1);
  }
  if (session.role === "operator" || session.role === "admin") {
    const unread = Object.values(state.threads || {}).reduce((n, th) => n + (th.unread?.centre || 0), 0);
    const untaken = Object.values(state.faults || {})
      .filter((f) => OPEN_FAULT_STATES.has(f.state) && f.state !== "acknowledged").length;
    return unread + untaken;
  }
  return 0;
}

/** The words of a system notification for an event this reader should hear of, or null. */
export function notice(ev, state, session) {
  const d = ev.data || {};
  const siteName = (code) => state.sites[code]?.name || code;
  if (session.role === "site") {
    if (ev.name === "msg.sent" && d.side === "centre") return [t("notify.message_centre"), d.text || t("thread.photo")];
    if (ev.name === "announce.sent") return [t("notify.announcement"), d.text || ""];
    if (ev.name === "cue.sent") return [t("notify.cue"), siteName(d.site)];
    return null;
  }
  if (session.role === "operator" || session.role === "admin") {
    if (ev.name === "msg.sent" && d.side === "site") return [t("notify.message", { site: siteName(d.site) }), d.text || t("thread.photo")];
    if (ev.name === "fault.reported") return [t("notify.fault", { site: siteName(d.site) }), `${t(`sev.${d.severity || "minor"}`)}: ${d.description || ""}`];
  }
  return null;
}

/** Show ``words`` as a system notification when the tab is hidden and it is allowed. */
export function show(words) {
  if (!words || typeof Notification === "undefined" || Notification.permission !== "granted") return false;
  if (document.visibilityState === "visible") return false;
  try {
    new Notification(words[0], { body: words[1], tag: words[0], lang: document.documentElement.lang || "vi" });
    return true;
  } catch {
    return false; // some browsers allow notifications from a service worker only
  }
}

/** A header button that asks for permission (a browser asks only after a click). */
export function permissionButton(h) {
  if (typeof Notification === "undefined" || Notification.permission !== "default") return null;
  const btn = h("button", { type: "button", class: "ghost notify-btn" }, t("notify.enable"));
  btn.addEventListener("click", async () => {
    const answer = await Notification.requestPermission().catch(() => "denied");
    if (answer !== "default") btn.remove();
  });
  return btn;
}
