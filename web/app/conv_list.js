// The list of conversations: name, presence dot, last message, unread
// badge. Newest activity first.
import { h, $ } from "./dom.js";
import { convName, peerOf } from "./names.js";

export function renderConvList(client, selectedId, onSelect) {
  const me = client.userId;
  const convs = [...client.conversations.values()]
    .filter((c) => !c.left)
    .sort((a, b) => (b.messages.at(-1)?.ts ?? 0) - (a.messages.at(-1)?.ts ?? 0));
  const items = convs.map((conv) => {
    const last = conv.messages.at(-1);
    const peer = peerOf(conv, me);
    const online = peer ? client.presence.get(peer)?.online : undefined;
    const name = convName(conv, me);
    const unread = conv.unread;
    const label = [
      name,
      online === undefined ? null : online ? "online" : "offline",
      unread ? `${unread} unread` : null,
    ].filter(Boolean).join(", ");
    return h("li", {},
      h("button", {
        type: "button",
        class: conv.convId === selectedId ? "conv selected" : "conv",
        "aria-current": conv.convId === selectedId ? "true" : false,
        "aria-label": label,
        dataset: { convId: conv.convId },
        onclick: () => onSelect(conv.convId),
      },
      h("span", { class: "conv-name" },
        online === undefined ? null : h("span", { class: online ? "dot online" : "dot", "aria-hidden": "true" }),
        name),
      unread ? h("span", { class: "badge", "aria-hidden": "true" }, String(unread)) : null,
      h("span", { class: "conv-last" },
        last ? `${last.sender === me ? "You" : last.sender}: ${last.body}` : "No messages yet")));
  });
  $("conv-list").replaceChildren(...items);
}
