// How conversations and users are named on the page.
import { time } from "./dom.js";

export function convName(conv, me) {
  if (conv.title) return conv.title;
  const others = conv.members.filter((u) => u !== me);
  return others.length ? others.join(", ") : "(just you)";
}

// The other member of a direct conversation.
export function peerOf(conv, me) {
  return conv.kind === "direct" ? conv.members.find((u) => u !== me) : null;
}

export function presenceText(p) {
  if (!p) return "";
  if (p.online) return "online";
  return p.last_seen ? `last seen ${time(p.last_seen)}` : "offline";
}
