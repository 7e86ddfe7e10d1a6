// The Switchboard client library: one user's connection to a node, as
// PROTOCOL.md describes it, for browsers and Node.
//
// It keeps the connection up (heartbeat, reconnect with exponential backoff
// and jitter) and, after every (re)connect, resynchronises: the inbox, then
// every held conversation from the last msg_id it holds. It holds each
// conversation's messages as a gap-free window (see conversation.js), acks
// what it received, and retries unacknowledged sends with the same
// client_msg_id, so the server stores each once. See docs/client.md.
import { Emitter } from "./emitter.js";
import { Conversation } from "./conversation.js";

export { Conversation } from "./conversation.js";

const PAGE = 200; // messages per sync when filling a gap

export class SwitchboardError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    Object.assign(this, extra);
  }
}

// Asks a node started with --dev-login for a token of `userId`. Resolves to
// {user_id, token, expires_at}; rejects with a SwitchboardError that carries
// the node's code and message (forbidden: the node has no dev login).
export async function devLogin(baseUrl, userId, fetchImpl = globalThis.fetch) {
  let res;
  try {
    res = await fetchImpl(new URL("/v1/dev/login", baseUrl), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user_id: userId }),
    });
  } catch (e) {
    throw new SwitchboardError("unavailable", `cannot reach the node: ${e.message}`);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = body.error ?? {};
    throw new SwitchboardError(err.code ?? "internal", err.message ?? `HTTP ${res.status}`);
  }
  return body;
}

// A random client_msg_id (crypto.getRandomValues works on plain http too).
function newClientMsgId() {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export class SwitchboardClient extends Emitter {
  // options:
  //   url: the node's base URL ("http://127.0.0.1:7070"; in a page, its origin)
  //   token: the user's token
  //   WebSocket: the WebSocket class (browsers: the global; Node: `ws`)
  //   fetch: for telling a refused token from a node that is down
  //   storage: a localStorage-like object; unsent messages survive a reload
  //   preload: messages fetched per conversation at first sync (default 30)
  //   minBackoffMs, maxBackoffMs: reconnect delays (default 250, 10000)
  //   requestTimeoutMs: how long an answer may take (default 10000)
  constructor(options) {
    super();
    this.options = {
      url: globalThis.location?.origin,
      WebSocket: globalThis.WebSocket,
      fetch: globalThis.fetch?.bind(globalThis),
      storage: null,
      preload: 30,
      minBackoffMs: 250,
      maxBackoffMs: 10000,
      requestTimeoutMs: 10000,
      ...options,
    };
    if (!this.options.url) throw new TypeError("options.url is required");
    if (!this.options.token) throw new TypeError("options.token is required");
    if (!this.options.WebSocket) throw new TypeError("options.WebSocket is required");
    this.state = "idle"; // connecting, open, reconnecting, closed, unauthorized
    this.userId = null;
    this.conversations = new Map(); // conv_id -> Conversation
    this.presence = new Map(); // user id -> {online, last_seen}
    this.outbox = []; // sends not yet acknowledged: {conv_id, client_msg_id, body, state}
    this.attempt = 0;
    this.#watched = new Set();
    this.#loadOutbox();
  }

  #ws = null;
  #welcomed = false;
  #rid = 0;
  #pending = new Map(); // rid -> {resolve, reject, timer}
  #heartbeat = null;
  #lastHeard = 0;
  #retryTimer = null;
  #ackTimer = null;
  #toAck = new Set();
  #acked = new Map(); // conv_id -> msg_id acked
  #filling = new Map(); // conv_id -> promise of a running fill
  #loading = new Map(); // conv_id -> promise of a running first load
  #outboxTimer = null;
  #outboxDue = 0;
  #typingSent = new Map(); // conv_id -> time of the last typing frame
  #watched; // user ids whose presence is subscribed

  // Opens the connection; the client then keeps it open until close().
  connect() {
    if (this.state === "idle" || this.state === "closed") this.#open();
    return this;
  }

  close() {
    this.#setState("closed");
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#outboxTimer);
    this.#outboxTimer = null;
    this.#drop();
  }

  // --- Requests -----------------------------------------------------------

  // Sends a request frame and resolves to its answer; rejects with a
  // SwitchboardError (code from the server, or "disconnected"/"timeout").
  request(frame) {
    if (this.state !== "open") {
      return Promise.reject(new SwitchboardError("disconnected", "not connected"));
    }
    const rid = `r${++this.#rid}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new SwitchboardError("timeout", `no answer to ${frame.type}`));
      }, this.options.requestTimeoutMs);
      this.#pending.set(rid, { resolve, reject, timer });
      this.#ws.send(JSON.stringify({ ...frame, rid }));
    });
  }

  // Creates (or, for a direct one that exists, finds) a conversation.
  async create(kind, members, title) {
    const frame = { type: "create", kind, members };
    if (title) frame.title = title;
    const r = await this.request(frame);
    const conv = this.#conv(r.conv_id);
    conv.kind = r.kind;
    conv.members = r.members;
    if (title) conv.title = title;
    await this.#load(conv);
    this.#watch(r.members);
    this.emit("conversation", conv);
    return conv;
  }

  // Queues a message; it is sent now or after the next reconnect, and
  // retried with the same client_msg_id until the server acknowledges it.
  // Returns the outbox entry ({conv_id, client_msg_id, body, state}).
  send(convId, body) {
    const item = { conv_id: convId, client_msg_id: newClientMsgId(), body, state: "pending" };
    this.outbox.push(item);
    this.#saveOutbox();
    this.emit("outbox", item);
    this.#flushOutbox();
    return item;
  }

  // Loads a page of messages older than those held; resolves to them.
  async loadOlder(convId, limit = 50) {
    const conv = this.#conv(convId);
    if (!conv.loaded) return this.#load(conv);
    if (!conv.hasOlder) return [];
    const r = await this.request({ type: "sync", conv_id: convId, before: conv.low, limit });
    const older = conv.prepend(r.messages, r.has_more);
    this.emit("history", { conv, messages: older });
    return older;
  }

  // The user has read everything held in the conversation.
  markRead(convId) {
    const conv = this.conversations.get(convId);
    if (!conv || conv.high <= conv.readUpto || this.state !== "open") return;
    conv.readUpto = conv.high;
    conv.unread = 0;
    this.#ws.send(JSON.stringify({ type: "read", conv_id: convId, msg_id: conv.high }));
    this.emit("conversation", conv);
  }

  // Tells the other members this user is typing (at most every 2.5 s).
  typing(convId) {
    const now = Date.now();
    if (this.state !== "open" || now - (this.#typingSent.get(convId) ?? 0) < 2500) return;
    this.#typingSent.set(convId, now);
    this.#ws.send(JSON.stringify({ type: "typing", conv_id: convId }));
  }

  changeMembers(convId, { add = [], remove = [] }) {
    return this.request({ type: "members", conv_id: convId, add, remove });
  }

  // The state of one of this user's messages: pending, failed, sent,
  // delivered or read.
  stateOf(convId, msg) {
    if (msg.state === "pending" || msg.state === "failed") return msg.state;
    return this.#conv(convId).stateOf(msg, this.userId);
  }

  // --- Connection ---------------------------------------------------------

  #open() {
    this.#setState(this.attempt ? "reconnecting" : "connecting");
    const url = new URL("/v1/ws", this.options.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", this.options.token);
    const ws = new this.options.WebSocket(url.toString());
    this.#ws = ws;
    this.#welcomed = false;
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      this.#lastHeard = Date.now();
      const text = typeof ev.data === "string" ? ev.data : ev.data.toString();
      let frame;
      try {
        frame = JSON.parse(text);
      } catch {
        return;
      }
      this.#onFrame(frame);
    };
    ws.onclose = () => {
      if (this.#ws === ws) this.#onClosed();
    };
    ws.onerror = () => {}; // onclose follows
  }

  // Forgets the socket (closing it) without waiting for its close event.
  #drop() {
    const ws = this.#ws;
    this.#ws = null;
    clearInterval(this.#heartbeat);
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new SwitchboardError("disconnected", "connection lost"));
    }
    this.#pending.clear();
    if (ws) {
      ws.onclose = ws.onmessage = null;
      try {
        ws.close();
      } catch {
        // already closed
      }
    }
  }

  async #onClosed() {
    const welcomed = this.#welcomed;
    this.#drop();
    this.presence.clear(); // unknown until the reconnect resubscribes
    if (this.state === "closed") return;
    if (!welcomed && (await this.#tokenRefused())) return;
    this.#scheduleReconnect();
  }

  // A WebSocket refused at the handshake does not say why; the REST API
  // does. Returns true (and stops) when the token is the reason.
  async #tokenRefused() {
    if (!this.options.fetch) return false;
    try {
      const res = await this.options.fetch(new URL("/v1/conversations", this.options.url), {
        headers: { Authorization: `Bearer ${this.options.token}` },
      });
      if (res.status !== 401) return false;
      const body = await res.json().catch(() => ({}));
      const why = body.error?.message ?? "token refused";
      this.#setState("unauthorized");
      this.emit("unauthorized", { message: `The node refused the token (${why}).` });
      return true;
    } catch {
      return false; // the node is down: keep trying
    }
  }

  #scheduleReconnect() {
    if (this.state === "closed" || this.state === "unauthorized") return;
    const { minBackoffMs, maxBackoffMs } = this.options;
    const ceiling = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.attempt, 20));
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt += 1;
    this.#setState("reconnecting", { delayMs: delay });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #setState(state, extra = {}) {
    if (this.state === state && !extra.delayMs) return;
    this.state = state;
    this.emit("state", { state, attempt: this.attempt, ...extra });
  }

  #startHeartbeat(heartbeatS) {
    clearInterval(this.#heartbeat);
    const every = (heartbeatS * 1000) / 2;
    this.#lastHeard = Date.now();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * heartbeatS * 1000) {
        this.#onClosed(); // silent for two heartbeats: the link is dead
        return;
      }
      this.#ws?.send(JSON.stringify({ type: "ping" }));
    }, every);
  }

  // --- Frames from the server --------------------------------------------

  #onFrame(f) {
    if (f.rid !== undefined && this.#pending.has(f.rid)) {
      const p = this.#pending.get(f.rid);
      this.#pending.delete(f.rid);
      clearTimeout(p.timer);
      if (f.type === "error") {
        p.reject(new SwitchboardError(f.code, f.message, { retry_after_ms: f.retry_after_ms }));
      } else {
        p.resolve(f);
      }
      return;
    }
    switch (f.type) {
      case "welcome":
        this.#welcomed = true;
        this.userId = f.user_id;
        this.attempt = 0;
        this.#startHeartbeat(f.heartbeat_s);
        this.#setState("open");
        this.#resync().catch((e) => this.#lost(e));
        break;
      case "message":
        this.#receive(f.conv_id, [f]);
        break;
      case "receipt":
        this.#onReceipt(f);
        break;
      case "members":
        this.#onMembers(f);
        break;
      case "typing":
        this.emit("typing", { conv_id: f.conv_id, user_id: f.user_id });
        break;
      case "presence":
        for (const s of f.statuses) this.#setPresence(s);
        break;
      case "error":
        this.emit("error", new SwitchboardError(f.code, f.message));
        break;
      default:
        break; // pong, and frames newer than this library
    }
  }

  // A request failed because the connection went: the reconnect resyncs.
  #lost(e) {
    if (e?.code !== "disconnected" && e?.code !== "timeout") this.emit("error", e);
  }

  // After every welcome: inbox, then each conversation from where it was.
  async #resync() {
    const inbox = await this.request({ type: "conversations" });
    const seen = new Set();
    for (const c of inbox.conversations) {
      seen.add(c.conv_id);
      const conv = this.#conv(c.conv_id);
      Object.assign(conv, {
        kind: c.kind,
        title: c.title ?? "",
        members: c.members,
        lastMsgId: Math.max(conv.lastMsgId, c.last_msg_id),
        readUpto: Math.max(conv.readUpto, c.read_upto),
        deliveredUpto: Math.max(conv.deliveredUpto, c.delivered_upto),
        unread: c.unread,
        countedUpto: Math.max(conv.countedUpto, c.last_msg_id),
        left: false,
      });
    }
    for (const conv of this.conversations.values()) {
      if (!seen.has(conv.convId)) conv.left = true;
    }
    this.emit("inbox", [...this.conversations.values()]);
    this.#flushOutbox();
    const users = new Set([...this.#watched]);
    for (const c of inbox.conversations) for (const u of c.members) users.add(u);
    this.#watched.clear();
    const watching = this.#watch([...users]);
    await Promise.all(
      [...this.conversations.values()]
        .filter((c) => !c.left)
        .map((c) => (c.loaded ? this.#fill(c) : this.#load(c))),
    );
    await watching;
    this.emit("synced", {});
  }

  // Fetches the newest messages of a conversation not loaded yet; one load
  // per conversation at a time.
  #load(conv) {
    if (conv.loaded) return Promise.resolve([]);
    if (!this.#loading.has(conv.convId)) {
      const run = this.#loadNewest(conv).finally(() => this.#loading.delete(conv.convId));
      this.#loading.set(conv.convId, run);
    }
    return this.#loading.get(conv.convId);
  }

  async #loadNewest(conv) {
    const r = await this.request({
      type: "sync",
      conv_id: conv.convId,
      limit: Math.max(1, Math.min(this.options.preload, PAGE)),
    });
    if (conv.loaded) return [];
    const page = r.messages.slice().reverse();
    for (const m of page) conv.lastMsgId = Math.max(conv.lastMsgId, m.msg_id);
    this.#held(conv, page.concat(conv.start(page, r.has_more)));
    if (conv.hasGap || conv.lastMsgId > conv.high) await this.#fill(conv);
    return page;
  }

  // Syncs after high until nothing is missing; one fill per conversation
  // at a time.
  #fill(conv) {
    if (this.#filling.has(conv.convId)) return this.#filling.get(conv.convId);
    const run = (async () => {
      for (;;) {
        const r = await this.request({ type: "sync", conv_id: conv.convId, after: conv.high, limit: PAGE });
        this.#held(conv, conv.ingest(r.messages));
        if (!r.has_more && !conv.hasGap) return;
        if (!r.messages.length && conv.hasGap) return; // gone from the log
      }
    })().finally(() => this.#filling.delete(conv.convId));
    this.#filling.set(conv.convId, run);
    return run;
  }

  // Messages pushed live or synced.
  #receive(convId, msgs) {
    const conv = this.#conv(convId);
    if (!conv.loaded) {
      conv.ingest(msgs);
      this.#load(conv).catch((e) => this.#lost(e));
      return;
    }
    this.#held(conv, conv.ingest(msgs));
    if (conv.hasGap) this.#fill(conv).catch((e) => this.#lost(e));
  }

  // Newly held messages, appended at the end of the window: settle own
  // sends, count unread (the inbox counted up to countedUpto), ack, tell
  // the UI.
  #held(conv, added) {
    if (!added.length) return;
    let fromOthers = false;
    for (const m of added) {
      if (m.sender === this.userId) {
        this.#settle(m.client_msg_id, m);
      } else {
        fromOthers = true;
        if (m.msg_id > conv.countedUpto && m.msg_id > conv.readUpto) conv.unread += 1;
      }
      conv.countedUpto = Math.max(conv.countedUpto, m.msg_id);
    }
    if (fromOthers) this.#ack(conv);
    for (const m of added) this.emit("message", { conv, message: m });
    this.emit("conversation", conv);
  }

  // Acks are cumulative: one per conversation per turn, for the highest held.
  #ack(conv) {
    this.#toAck.add(conv);
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      for (const c of this.#toAck) {
        if (c.high > (this.#acked.get(c.convId) ?? 0) && this.state === "open") {
          this.#ws.send(JSON.stringify({ type: "ack", conv_id: c.convId, msg_id: c.high }));
          this.#acked.set(c.convId, c.high);
        }
      }
      this.#toAck.clear();
    }, 0);
  }

  #onReceipt(f) {
    const conv = this.#conv(f.conv_id);
    if (f.user_id === this.userId) {
      // This user's other device read or received.
      if (f.state === "read") conv.readUpto = Math.max(conv.readUpto, f.msg_id);
      conv.deliveredUpto = Math.max(conv.deliveredUpto, f.msg_id);
      conv.unread = Math.min(conv.unread, conv.countUnread(this.userId));
    } else {
      conv.receipt(f.user_id, f.state, f.msg_id);
    }
    this.emit("receipt", { conv, user_id: f.user_id, state: f.state, msg_id: f.msg_id });
    this.emit("conversation", conv);
  }

  #onMembers(f) {
    const isNew = !this.conversations.has(f.conv_id);
    const conv = this.#conv(f.conv_id);
    const members = new Set(conv.members);
    for (const u of f.added) members.add(u);
    for (const u of f.removed) members.delete(u);
    conv.members = [...members];
    if (f.removed.includes(this.userId)) conv.left = true;
    if (f.added.includes(this.userId)) conv.left = false;
    this.emit("members", { conv, added: f.added, removed: f.removed });
    if (isNew && !conv.left) {
      // A conversation this user was just added to: learn its kind and title.
      this.request({ type: "conversations" })
        .then((inbox) => {
          const c = inbox.conversations.find((x) => x.conv_id === f.conv_id);
          if (c) Object.assign(conv, { kind: c.kind, title: c.title ?? "", members: c.members });
          this.emit("conversation", conv);
          return this.#load(conv);
        })
        .catch((e) => this.#lost(e));
    }
    this.#watch(f.added);
    this.emit("conversation", conv);
  }

  #setPresence(s) {
    this.presence.set(s.user_id, { online: s.online, last_seen: s.last_seen });
    this.emit("presence", s);
  }

  // Subscribes to the presence of users not yet watched. Never rejects: a
  // lost connection resubscribes everyone after the reconnect.
  async #watch(userIds) {
    const fresh = userIds.filter((u) => u !== this.userId && !this.#watched.has(u));
    for (const u of fresh) this.#watched.add(u);
    try {
      for (let i = 0; i < fresh.length; i += 500) {
        const r = await this.request({ type: "presence", user_ids: fresh.slice(i, i + 500), subscribe: true });
        for (const s of r.statuses) this.#setPresence(s);
      }
    } catch (e) {
      this.#lost(e);
    }
  }

  #conv(convId) {
    let conv = this.conversations.get(convId);
    if (!conv) {
      conv = new Conversation(convId);
      this.conversations.set(convId, conv);
    }
    return conv;
  }

  // --- Outbox -------------------------------------------------------------

  // Sends the oldest unacknowledged message of each conversation; the next
  // one goes when it is acknowledged, so that a retry can never put a
  // message of this client's after a later one.
  #flushOutbox() {
    if (this.state !== "open") return;
    const heads = new Map();
    for (const item of this.outbox) {
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
      this.request({ type: "send", conv_id: item.conv_id, client_msg_id: item.client_msg_id, body: item.body })
        .then((r) => {
          item.inflight = false;
          const m = {
            conv_id: item.conv_id,
            msg_id: r.msg_id,
            sender: this.userId,
            body: item.body,
            ts: r.ts,
            client_msg_id: item.client_msg_id,
          };
          this.#settle(item.client_msg_id, m);
          this.#receive(item.conv_id, [m]);
          this.#flushOutbox();
        })
        .catch((e) => {
          item.inflight = false;
          if (e.code === "disconnected") return; // sent again after the reconnect
          if (e.code === "rate_limited" || e.code === "unavailable" || e.code === "timeout") {
            const wait = e.retry_after_ms ?? 1000;
            item.retryAt = Date.now() + wait;
            this.#flushLater(wait);
            return;
          }
          // Refused for good (not a member, too large...): report, go on.
          item.state = "failed";
          item.error = e;
          this.outbox = this.outbox.filter((x) => x !== item);
          this.#saveOutbox();
          this.emit("outbox", item);
          this.#flushOutbox();
        });
    }
  }

  // One timer for the earliest retry (timers may fire a little early; the
  // flush then sets it again).
  #flushLater(ms) {
    const due = Date.now() + ms;
    if (this.#outboxTimer && this.#outboxDue <= due) return;
    clearTimeout(this.#outboxTimer);
    this.#outboxDue = due;
    this.#outboxTimer = setTimeout(() => {
      this.#outboxTimer = null;
      this.#flushOutbox();
    }, ms);
  }

  // A message of this user's is stored: its outbox entry is done.
  #settle(clientMsgId, msg) {
    const item = this.outbox.find((x) => x.client_msg_id === clientMsgId);
    if (!item) return;
    this.outbox = this.outbox.filter((x) => x !== item);
    item.state = "sent";
    item.msg_id = msg.msg_id;
    this.#saveOutbox();
    this.emit("outbox", item);
  }

  // Per user: the token's subject (tokens change, the user does not).
  #outboxKey() {
    let user = this.options.token;
    try {
      const part = this.options.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      user = JSON.parse(atob(part)).sub ?? user;
    } catch {
      // not a JWT: key by the token itself
    }
    return `switchboard.outbox.${user}`;
  }

  #loadOutbox() {
    const s = this.options.storage;
    if (!s) return;
    try {
      const items = JSON.parse(s.getItem(this.#outboxKey()) ?? "[]");
      this.outbox = items.map((x) => ({ ...x, state: "pending", inflight: false }));
    } catch {
      this.outbox = [];
    }
  }

  #saveOutbox() {
    const s = this.options.storage;
    if (!s) return;
    const items = this.outbox.map(({ conv_id, client_msg_id, body }) => ({ conv_id, client_msg_id, body }));
    s.setItem(this.#outboxKey(), JSON.stringify(items));
  }
}
