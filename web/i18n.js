// The language switch. The strings live in strings/vi.js and strings/en.js, one
// object per language, Vietnamese first. t(key, vars) looks a key up in the current language (falling back to Vietnamese,
// then to the key itself) and fills {name} placeholders from vars.

import vi from "./strings/vi.js";
import en from "./strings/en.js";

export const LANGS = { vi, en };
const KEY = "controlroom.lang";
let current = localStorage.getItem(KEY) === "en" ? "en" : "vi";
const listeners = new Set();

export function lang() {
  return current;
}

export function setLang(code) {
  current = code === "en" ? "en" : "vi";
  localStorage.setItem(KEY, current);
  document.documentElement.lang = current;
  for (const fn of listeners) fn(current);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function has(key) {
  return key in LANGS[current];
}

export function t(key, vars) {
  let s = LANGS[current][key] ?? vi[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

document.documentElement.lang = current;
