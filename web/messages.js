// The hub's own texts (a lost link, an incident, a fault it closed) arrive as codes
// with parameters and are rendered here in the reader's language, so no English
// fragment reaches a Vietnamese screen and no Vietnamese an English one. The words
// the hub also stores beside each code are the fallback of older clients.

import { t, has } from "./i18n.js";

function figure(value) {
  return value == null ? "—" : String(value);
}

/** A link cause ({code, ...figures}) in words, or "". */
export function causeText(cause) {
  if (!cause || !cause.code) return "";
  if (cause.code === "bad_samples") {
    const problems = (cause.problems || []).map(causeText).join("; ");
    return t("cause.bad_samples", { problems, samples: figure(cause.samples) });
  }
  const vars = {};
  for (const [k, v] of Object.entries(cause)) vars[k] = figure(v);
  for (const k of ["rtt_ms", "loss_pct", "samples", "seconds"]) if (!(k in vars)) vars[k] = "—";
  return t(`cause.${cause.code}`, vars);
}

// " (cause)", naming the source when it is the conference path, not the console.
function because(cause, source) {
  if (!cause) return "";
  if (source === "bridge" || source === "endpoint") return ` (${t(`source.${source}`)}: ${cause})`;
  return ` (${cause})`;
}

export function durationText(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const m = Math.floor(s / 60);
  return m ? t("duration.min_s", { m, s: s % 60 }) : t("duration.s", { s });
}

/** The text of a message code, or null when there is none (use the stored words). */
export function messageText(msg, siteName = (code) => code) {
  if (!msg || !msg.code) return null;
  const cause = causeText(msg.cause);
  const sites = (msg.sites || []).map(siteName);
  return t(`msg.${msg.code}`, {
    ...msg,
    site: msg.site ? siteName(msg.site) : "",
    sites: sites.join(", "),
    count: msg.count ?? sites.length,
    because: because(cause, msg.source),
    duration: durationText(msg.outage_s),
  });
}

function namer(state) {
  return (code) => state?.sites?.[code]?.name || code;
}

/** A fault's description: its code rendered, else the words it was reported with. */
export function faultDescription(f, state) {
  return messageText(f.description_code, namer(state)) ?? f.description;
}

export function faultResolution(f, state) {
  return messageText(f.resolution_code, namer(state)) ?? f.resolution;
}

export function noteText(note, state) {
  return messageText(note.code, namer(state)) ?? note.text;
}

// Parameters of a refusal that are themselves codes (a state, a phase, a role).
const CODED_PARAMS = { fstate: "fstate", sstate: "sstate", phase: "phase", from_phase: "phase", role: "role" };

/** A refusal ({code, ...params} from an error frame's text_code) in words, or null. */
export function refusalText(textCode, state) {
  if (!textCode || !textCode.code || !has(`refuse.${textCode.code}`)) return null;
  const name = namer(state);
  const vars = {};
  for (const [k, v] of Object.entries(textCode)) {
    if (k in CODED_PARAMS) vars[k] = t(`${CODED_PARAMS[k]}.${v}`);
    else if (k === "site") vars[k] = name(v);
    else if (k === "sites") vars[k] = (v || []).map(name).join(", ");
    else if (Array.isArray(v)) vars[k] = v.join(", ");
    else if (k === "field_name") vars[k] = String(v).replace(/^args\./, "");
    else vars[k] = figure(v);
  }
  if (Array.isArray(textCode.speakers) && Array.isArray(textCode.sites)) {
    vars.speakers = textCode.speakers.map((s, i) => `${s} (${name(textCode.sites[i])})`).join(", ");
  }
  return t(`refuse.${textCode.code}`, vars);
}
