// The sound menu of a console's head: the mute, and which kinds of alert sound, one
// checkbox each; one small menu, so the head it sits in stays one line.

import { t } from "./i18n.js";
import { h } from "./ui.js";
import { muted, setMuted, kindOn, setKind } from "./sound.js";

/** soundMenu(kinds) → a <details> element; kinds are the sound.js kinds it offers. */
export function soundMenu(kinds) {
  const mute = h("button", { type: "button", class: "ghost mute", "aria-pressed": "false" });
  const state = h("span", { class: "sound-state" });
  const menu = h("details", { class: "sound-kinds" }, h("summary", {}, state),
    h("div", { class: "sound-menu" }, mute, h("span", { class: "label" }, t("sound.kinds")),
      kinds.map((kind) => {
        const box = h("input", { type: "checkbox", checked: kindOn(kind), "data-kind": kind });
        box.addEventListener("change", () => setKind(kind, box.checked));
        return h("label", { class: "toggle" }, box, t(`sound.${kind}`));
      })));
  function show() {
    const on = muted();
    state.textContent = on ? t("faults.sound_off") : t("faults.sound_on");
    mute.textContent = on ? t("faults.unmute") : t("faults.mute");
    mute.setAttribute("aria-pressed", String(on));
    mute.classList.toggle("is-muted", on);
  }
  mute.addEventListener("click", () => {
    setMuted(!muted());
    show();
  });
  show();
  return menu;
}
