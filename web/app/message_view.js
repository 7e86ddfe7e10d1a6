// The open conversation's messages, oldest at the top, with the states of
// this user's own messages and its unsent ones at the end.
import { h, $, time } from "./dom.js";

const STATE_TEXT = {
  pending: "◷ Sending…",
  failed: "⚠ Not sent",
  sent: "✓ Sent",
  delivered: "✓✓ Delivered",
  read: "✓✓ Read",
};

function messageItem(client, m, state) {
  const mine = m.sender === client.userId;
  return h("li", {
    class: mine ? "msg mine" : "msg",
    dataset: m.msg_id ? { msgId: m.msg_id } : { clientMsgId: m.client_msg_id },
  },
  h("span", { class: "msg-sender" }, mine ? "You" : m.sender),
  h("p", { class: "msg-body" }, m.body),
  h("span", { class: "msg-meta" },
    m.ts ? h("time", { datetime: new Date(m.ts).toISOString() }, time(m.ts)) : null,
    mine ? h("span", { class: "state", dataset: { state } }, STATE_TEXT[state]) : null,
    state === "failed" && m.error ? h("span", { class: "error" }, ` ${m.error.message}`) : null));
}

// The element of each shown message, rebuilt only when what it shows
// changed (its state, mostly): a render moves elements, it does not make
// them again.
const rendered = new Map(); // key -> {sig, el}

function cached(client, m, state) {
  const key = m.msg_id ? `m${m.msg_id}` : `c${m.client_msg_id}`;
  const sig = `${state}|${m.ts ?? ""}`;
  const hit = rendered.get(key);
  if (hit && hit.sig === sig) return hit.el;
  const el = messageItem(client, m, state);
  rendered.set(key, { sig, el });
  return el;
}

// Renders `conv`; keeps the reader at the bottom when it was there, and in
// place when older messages came in above.
export function renderMessages(client, conv) {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const fromBottom = list.scrollHeight - list.scrollTop;
  if (list.dataset.convId !== conv.convId) rendered.clear();
  const items = conv.messages.map((m) => cached(client, m, client.stateOf(conv.convId, m)));
  for (const item of client.outbox) {
    if (item.conv_id === conv.convId) {
      items.push(cached(client, { ...item, sender: client.userId }, "pending"));
    }
  }
  for (const f of failedSends(conv.convId)) {
    items.push(cached(client, { ...f, sender: client.userId }, "failed"));
  }
  list.replaceChildren(...items);
  // Forget the elements of messages no longer shown (sent or dropped).
  const shown = new Set(items);
  for (const [key, v] of rendered) if (!shown.has(v.el)) rendered.delete(key);
  list.dataset.convId = conv.convId;
  $("load-older").hidden = !conv.hasOlder;
  if (atBottom || list.dataset.rendered !== conv.convId) {
    list.scrollTop = list.scrollHeight;
  } else {
    list.scrollTop = list.scrollHeight - fromBottom;
  }
  list.dataset.rendered = conv.convId;
}

// Sends the server refused for good, shown until the page is left.
const failed = new Map();
export function noteFailed(item) {
  if (!failed.has(item.conv_id)) failed.set(item.conv_id, []);
  failed.get(item.conv_id).push(item);
}
function failedSends(convId) {
  return failed.get(convId) ?? [];
}
