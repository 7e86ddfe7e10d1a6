// The Switchboard client library: one user's connection to a node, as
// PROTOCOL.md describes it, for browsers and Node.
//
// It keeps the connection up (connection.js: heartbeat, reconnect with
// exponential backoff and jitter, to the next of its nodes when one
// fails) and, after every (re)connect,
// resynchronises: the inbox, then every held conversation from the last
// msg_id it holds. It holds each conversation's messages as a gap-free
// window (conversation.js), acks what it received, and retries
// unacknowledged sends with the same client_msg_id (outbox.js), so the
// server stores each once. See docs/client.md.
import { Emitter } from "./emitter.js";
import { Conversation } from "./conversation.js";
import { Connection, SwitchboardError } from "./connection.js";
import { Outbox } from "./outbox.js";

export { Conversation } from "./conversation.js";
export { SwitchboardError } from "./connection.js";

const PAGE = 200; // messages per sync when filling a gap

// The nodes' base URLs of the options: `urls`, or `url` as a list of one.
function nodeUrls({ url, urls }) {
  if (urls !== undefined && url !== undefined) throw new TypeError("give options.url or options.urls, not both");
  const list = urls === undefined ? [url] : urls;
  if (!Array.isArray(list) || !list.length || !list.every(Boolean)) {
    throw new TypeError("options.url or options.urls (a non-empty list) is required");
  }
  for (const u of list) new URL(u); // a TypeError when one is no URL
  return list.map(String);
}

// Asks a node started with --dev-login for a token of `userId`; `baseUrl`
// is a node's URL or a list of them, tried in order while they cannot be
// reached. Resolves to {user_id, token, expires_at}; rejects with a
// SwitchboardError that carries the node's code and message (forbidden:
// the node has no dev login; unavailable: no node could be reached).
export async function devLogin(baseUrl, userId, fetchImpl = globalThis.fetch) {
  let res = null;
  let unreachable = null;
  for (const url of [baseUrl].flat()) {
    try {
      res = await fetchImpl(new URL("/v1/dev/login", url), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: userId }),
      });
      break;
    } catch (e) {
      unreachable = e;
    }
  }
  if (!res) throw new SwitchboardError("unavailable", `cannot reach the node: ${unreachable?.message}`);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = body.error ?? {};
    throw new SwitchboardError(err.code ?? "internal", err.message ?? `HTTP ${res.status}`);
  }
  return body;
}

export class SwitchboardClient extends Emitter {
  // options:
  //   urls: the base URLs of the nodes it may connect to
  //     (["http://a:7070", "http://b:7070"]), tried in turn from the first;
  //   url: one node's base URL, the same as urls: [url] (in a page, the
  //     default is its origin)
  //   token: the user's token
  //   WebSocket: the WebSocket class (browsers: the global; Node: `ws`)
  //   fetch: for telling a refused token from a node that is down
  //   storage: a localStorage-like object; unsent messages survive a reload
  //   preload: messages fetched per conversation at first sync (default 30)
  //   minBackoffMs, maxBackoffMs: reconnect delays (default 250, 10000)
  //   requestTimeoutMs: how long an answer may take (default 10000)
  constructor(options) {
    super();
    const urls = nodeUrls({
      url: options?.url ?? (options?.urls === undefined ? globalThis.location?.origin : undefined),
      urls: options?.urls,
    });
    this.options = {
      WebSocket: globalThis.WebSocket,
      fetch: globalThis.fetch?.bind(globalThis),
      storage: null,
      preload: 30,
      minBackoffMs: 250,
      maxBackoffMs: 10000,
      requestTimeoutMs: 10000,
      ...options,
      urls,
    };
    if (!this.options.token) throw new TypeError("options.token is required");
    if (!this.options.WebSocket) throw new TypeError("options.WebSocket is required");
    this.userId = null;
    this.conversations = new Map(); // conv_id -> Conversation
    this.presence = new Map(); // user id -> {online, last_seen}

    const conn = new Connection(this.options);
    this.#conn = conn;
    conn.on("state", (s) => this.emit("state", s));
    conn.on("unauthorized", (u) => this.emit("unauthorized", u));
    conn.on("welcome", (f) => {
      this.userId = f.user_id;
      this.#resync().catch((e) => this.#lost(e));
    });
    conn.on("frame", (f) => this.#onFrame(f));
    conn.on("lost", () => this.presence.clear()); // unknown until resubscribed

    this.#outbox = new Outbox({
      token: this.options.token,
      storage: this.options.storage,
      canSend: () => conn.state === "open",
      send: (item) =>
        conn.request({ type: "send", conv_id: item.conv_id, client_msg_id: item.client_msg_id, body: item.body }),
      onSent: (item, r) => {
        const m = {
          conv_id: item.conv_id,
          msg_id: r.msg_id,
          sender: this.userId,
          body: item.body,
          ts: r.ts,
          client_msg_id: item.client_msg_id,
        };
        this.#outbox.settle(item.client_msg_id, r.msg_id);
        this.#receive(item.conv_id, [m]);
      },
      onChange: (item) => this.emit("outbox", item),
      backoff: { minBackoffMs: this.options.minBackoffMs, maxBackoffMs: this.options.maxBackoffMs },
    });
  }

  #conn;
  #outbox;
  #ackTimer = null;
  #toAck = new Set();
  #acked = new Map(); // conv_id -> msg_id acked
  #filling = new Map(); // conv_id -> promise of a running fill
  #loading = new Map(); // conv_id -> promise of a running first load
  #typingSent = new Map(); // conv_id -> time of the last typing frame
  #watched = new Set(); // user ids whose presence is subscribed

  // idle, connecting, open, reconnecting, closed or unauthorized.
  get state() {
    return this.#conn.state;
  }

  get attempt() {
    return this.#conn.attempt;
  }

  // The base URL of the node of the current connection, or of the one the
  // next attempt goes to (one of options.urls).
  get url() {
    return this.#conn.url;
  }

  // Sends not yet acknowledged: {conv_id, client_msg_id, body, state}.
  get outbox() {
    return this.#outbox.items;
  }

  // Opens the connection; the client then keeps it open until close().
  connect() {
    this.#conn.connect();
    return this;
  }

  close() {
    this.#outbox.stop();
    this.#conn.close();
  }

  // Sends a request frame and resolves to its answer; rejects with a
  // SwitchboardError (code from the server, or "disconnected"/"timeout").
  request(frame) {
    return this.#conn.request(frame);
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
    return this.#outbox.add(convId, body);
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
    this.#conn.send({ type: "read", conv_id: convId, msg_id: conv.high });
    this.emit("conversation", conv);
  }

  // Tells the other members this user is typing (at most every 2.5 s).
  typing(convId) {
    const now = Date.now();
    if (this.state !== "open" || now - (this.#typingSent.get(convId) ?? 0) < 2500) return;
    this.#typingSent.set(convId, now);
    this.#conn.send({ type: "typing", conv_id: convId });
  }

  // Reads the other members' delivered and read cursors (a `receipts`
  // request, 500 members at a time) into the conversation's cursors: in a
  // channel the server sends no receipts of others, and after a reload
  // none of earlier reads. Resolves to the conversation.
  async loadReceipts(convId) {
    const conv = this.#conv(convId);
    const others = (conv.members ?? []).filter((u) => u !== this.userId);
    for (let i = 0; i < others.length; i += 500) {
      const r = await this.request({ type: "receipts", conv_id: convId, user_ids: others.slice(i, i + 500) });
      for (const c of r.receipts) {
        conv.receipt(c.user_id, "delivered", c.delivered_upto);
        conv.receipt(c.user_id, "read", c.read_upto);
      }
    }
    this.emit("conversation", conv);
    return conv;
  }

  changeMembers(convId, { add = [], remove = [] }) {
    return this.request({ type: "members", conv_id: convId, add, remove });
  }

  // Registers a device of this user for push notifications, over REST
  // (POST /v1/devices) to the node of the connection, with the user's
  // token. `platform`: "webpush", "fcm", "apns" or "gateway"; `token`: the
  // platform's (Web Push: the JSON of PushSubscription.toJSON()).
  // Registering it again replaces it. Rejects with a SwitchboardError.
  async registerDevice(platform, token) {
    if (!this.options.fetch) throw new TypeError("options.fetch is required to register a device");
    let res;
    try {
      res = await this.options.fetch(new URL("/v1/devices", this.url), {
        method: "POST",
        headers: { Authorization: `Bearer ${this.options.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ platform, token }),
      });
    } catch (e) {
      throw new SwitchboardError("unavailable", `cannot reach the node: ${e.message}`);
    }
    if (res.ok) return;
    const err = (await res.json().catch(() => ({}))).error ?? {};
    throw new SwitchboardError(err.code ?? "internal", err.message ?? `HTTP ${res.status}`);
  }

  // The state of one of this user's messages: pending, failed, sent,
  // delivered or read.
  stateOf(convId, msg) {
    if (msg.state === "pending" || msg.state === "failed") return msg.state;
    return this.#conv(convId).stateOf(msg, this.userId);
  }

  // --- Frames from the server --------------------------------------------

  #onFrame(f) {
    switch (f.type) {
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
        break; // frames newer than this library
    }
  }

  // A request failed because the connection went: the reconnect resyncs.
  #lost(e) {
    if (e?.code !== "disconnected" && e?.code !== "timeout") this.emit("error", e);
  }

  // The whole inbox, a page at a time (the node bounds each page in
  // conversations and members listed).
  async #inbox() {
    const conversations = [];
    let after = null;
    for (;;) {
      const ask = { type: "conversations" };
      if (after !== null) ask.after = after;
      const page = await this.request(ask);
      conversations.push(...page.conversations);
      if (!page.has_more) return { conversations };
      after = page.next_after;
    }
  }

  // After every welcome: inbox, then each conversation from where it was.
  async #resync() {
    const inbox = await this.#inbox();
    const seen = new Set();
    for (const c of inbox.conversations) {
      seen.add(c.conv_id);
      this.#applyInbox(this.#conv(c.conv_id), c);
    }
    for (const conv of this.conversations.values()) {
      if (!seen.has(conv.convId)) conv.left = true;
    }
    this.emit("inbox", [...this.conversations.values()]);
    this.#outbox.flush();
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

  // Takes a conversation's inbox entry: its metadata, this user's cursors,
  // and the unread count the server made (up to last_msg_id).
  #applyInbox(conv, c) {
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
        this.#outbox.settle(m.client_msg_id, m.msg_id);
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
          this.#conn.send({ type: "ack", conv_id: c.convId, msg_id: c.high });
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
      this.#inbox()
        .then((inbox) => {
          const c = inbox.conversations.find((x) => x.conv_id === f.conv_id);
          if (c) this.#applyInbox(conv, c);
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
}
