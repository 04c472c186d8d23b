// Which commands each role may issue (PROTOCOL.md "Commands of version 1" and the
// extensions of docs/protocol.md); tests/web/test_perms.py holds it to the hub's table.
// The hub refuses anything else anyway; the consoles use this to hide what a
// role cannot do rather than offer a button that can only fail.

const SITE = ["site.checkin", "site.status", "fault.report", "fault.confirm", "fault.reopen",
  "speak.request", "speak.withdraw", "announce.read", "msg.send", "msg.read", "cue.answer",
  "conclusion.report"];
const OPERATOR = ["fault.report", "fault.ack", "fault.assign", "fault.note", "fault.resolve",
  "agenda.start", "agenda.advance", "agenda.finish", "testcall.start", "testcall.campaign",
  "testcall.cancel", "conference.phase", "fault.ack_many", "fault.resolve_many", "announce.send",
  "msg.send", "msg.read",
  // the minutes and the conclusions' follow-up, as the assistant (the secretary)
  "conclusion.add", "conclusion.report", "conclusion.accept", "conclusion.return",
  "minutes.note", "minutes.edit"];
const ASSISTANT = ["speak.approve", "speak.reject", "speak.move", "speak.grant", "speak.extend",
  "speak.end", "speak.add", "announce.send",
  "conclusion.add", "conclusion.report", "conclusion.accept", "conclusion.return",
  "minutes.note", "minutes.edit"];

const ALLOWED = {
  site: new Set(SITE),
  operator: new Set(OPERATOR),
  assistant: new Set(ASSISTANT),
  chair: new Set(),
};

/** Whether `role` may issue the command `name`. */
export function can(role, name) {
  if (role === "admin") return true;
  return ALLOWED[role]?.has(name) ?? false;
}
