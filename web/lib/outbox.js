// Messages written and not yet acknowledged by the server. Each is sent
// with its client_msg_id until the server answers `sent` (the same id is
// never stored twice); one per conversation is in flight at a time, so a
// retry can never put a message after a later one.
//
// A send answered `unavailable` (the conversation's shard is on a node that
// is down or moving), `rate_limited` or not answered in time is retried
// after at least the server's retry_after_ms, and after a growing delay
// when that happens again and again, so that a shard that stays down is
// not hammered.

// When a send that failed for now is retried: at least `retryAfterMs` (the
// server's, 1 s when it gave none), and minBackoffMs doubling per failure
// of that message up to maxBackoffMs; plus up to half of that again
// (jitter, so that clients waiting for the same shard spread out).
export function retryDelay(retryAfterMs, failures, { minBackoffMs = 250, maxBackoffMs = 10000 } = {}) {
  const grown = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(Math.max(failures - 1, 0), 20));
  const d = Math.max(retryAfterMs > 0 ? retryAfterMs : 1000, grown);
  return Math.round(d + Math.random() * (d / 2));
}

// A random client_msg_id. crypto.getRandomValues works on plain http too;
// where there is none (Node before 19) Math.random is random enough for an
// id that only has to be unique per sender and conversation.
function newClientMsgId() {
  const b = new Uint8Array(12);
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(b);
  else for (let i = 0; i < b.length; ++i) b[i] = Math.floor(Math.random() * 256);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// The user a token is for (its subject), to key stored outboxes by.
function subjectOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)).sub ?? token;
  } catch {
    return token; // not a JWT
  }
}

export class Outbox {
  // send(item): resolves to the `sent` answer or rejects with a
  //   SwitchboardError; canSend(): whether to try now;
  // onChange(item): an entry was added, sent or failed;
  // storage: a localStorage-like object or null;
  // backoff: {minBackoffMs, maxBackoffMs} for retryDelay.
  constructor({ token, storage, send, canSend, onSent, onChange, backoff = {} }) {
    this.items = [];
    this.storage = storage;
    this.key = `switchboard.outbox.${subjectOf(token)}`;
    this.sendItem = send;
    this.canSend = canSend;
    this.onSent = onSent;
    this.onChange = onChange;
    this.backoff = backoff;
    this.#load();
  }

  #timer = null;
  #due = 0;

  add(convId, body) {
    const item = { conv_id: convId, client_msg_id: newClientMsgId(), body, state: "pending" };
    this.items.push(item);
    this.#save();
    this.onChange(item);
    this.flush();
    return item;
  }

  // Sends the oldest unacknowledged message of each conversation.
  flush() {
    if (!this.canSend()) return;
    const heads = new Map();
    for (const item of this.items) {
      if (!heads.has(item.conv_id)) heads.set(item.conv_id, item);
    }
    for (const item of heads.values()) {
      if (item.inflight) continue;
      const wait = (item.retryAt ?? 0) - Date.now();
      if (wait > 0) {
        this.#flushLater(wait);
        continue;
      }
      item.inflight = true;
      this.sendItem(item)
        .then((answer) => {
          item.inflight = false;
          this.onSent(item, answer);
          this.flush();
        })
        .catch((e) => {
          item.inflight = false;
          if (e.code === "disconnected") return; // flushed after the reconnect
          if (e.code === "rate_limited" || e.code === "unavailable" || e.code === "timeout") {
            item.failures = (item.failures ?? 0) + 1;
            const wait = retryDelay(e.retry_after_ms, item.failures, this.backoff);
            item.retryAt = Date.now() + wait;
            this.#flushLater(wait);
            return;
          }
          // Refused for good (not a member, too large...): report, go on.
          item.state = "failed";
          item.error = e;
          this.#remove(item);
          this.flush();
        });
    }
  }

  // A message of this user's is stored: its entry is done.
  settle(clientMsgId, msgId) {
    const item = this.items.find((x) => x.client_msg_id === clientMsgId);
    if (!item) return;
    item.state = "sent";
    item.msg_id = msgId;
    this.#remove(item);
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #remove(item) {
    this.items = this.items.filter((x) => x !== item);
    this.#save();
    this.onChange(item);
  }

  // One timer for the earliest retry (timers may fire a little early; the
  // flush then sets it again).
  #flushLater(ms) {
    const due = Date.now() + ms;
    if (this.#timer && this.#due <= due) return;
    clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, ms);
  }

  #load() {
    if (!this.storage) return;
    try {
      const items = JSON.parse(this.storage.getItem(this.key) ?? "[]");
      this.items = items.map((x) => ({ ...x, state: "pending", inflight: false }));
    } catch {
      this.items = [];
    }
  }

  #save() {
    if (!this.storage) return;
    const items = this.items.map(({ conv_id, client_msg_id, body }) => ({ conv_id, client_msg_id, body }));
    this.storage.setItem(this.key, JSON.stringify(items));
  }
}
