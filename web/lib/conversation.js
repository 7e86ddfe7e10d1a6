// What a client holds of one conversation: its metadata, the cursors of its
// members, and a gap-free window of its messages, msg_ids low..high.
//
// The window only grows by whole runs: a message past high + 1 waits in
// `early` until the messages between arrive (from a sync), and one at or
// below high is a duplicate and is dropped. So `messages` never has a hole
// and never holds a msg_id twice, whatever order the server's pushes and
// the client's syncs come back in.
export class Conversation {
  constructor(convId) {
    this.convId = convId;
    this.kind = "group";
    this.title = "";
    this.members = [];
    this.messages = []; // oldest first, msg_ids low..high without a gap
    this.loaded = false; // the newest messages have been fetched once
    this.hasOlder = false; // messages below low exist on the server
    this.lastMsgId = 0; // the newest msg_id the server has told of
    this.readUpto = 0; // this user's own cursors
    this.deliveredUpto = 0;
    this.unread = 0;
    this.countedUpto = 0; // the newest msg_id `unread` has taken into account
    this.left = false; // this user is no longer a member
    this.cursors = new Map(); // other user id -> {delivered, read}
    this.early = new Map(); // msg_id -> message waiting for a gap to fill
    this.base = 0; // msg_id before the window while it is empty
  }

  get high() {
    return this.messages.length ? this.messages.at(-1).msg_id : this.base;
  }

  get low() {
    return this.messages.length ? this.messages[0].msg_id : this.base + 1;
  }

  // True when a message past high + 1 waits: a sync after high must fill it.
  get hasGap() {
    return this.early.size > 0;
  }

  // Takes the newest page (oldest first) as the window's start.
  start(page, hasMore) {
    if (page.length) {
      this.messages = page.slice();
      this.hasOlder = hasMore;
    } else {
      this.hasOlder = false;
    }
    this.loaded = true;
    for (const id of this.early.keys()) {
      if (id <= this.high) this.early.delete(id);
    }
    return this.#advance();
  }

  // Adds messages in any order; returns those newly held, oldest first.
  ingest(msgs) {
    for (const m of msgs) {
      if (m.msg_id > this.high && !this.early.has(m.msg_id)) {
        this.early.set(m.msg_id, m);
      }
      this.lastMsgId = Math.max(this.lastMsgId, m.msg_id);
    }
    return this.loaded ? this.#advance() : [];
  }

  // Adds an older page (newest first, as sync `before` answers).
  prepend(pageNewestFirst, hasMore) {
    const older = pageNewestFirst
      .filter((m) => m.msg_id < this.low)
      .sort((a, b) => a.msg_id - b.msg_id);
    this.messages = older.concat(this.messages);
    this.hasOlder = hasMore;
    return older;
  }

  #advance() {
    const added = [];
    while (this.early.has(this.high + 1)) {
      const m = this.early.get(this.high + 1);
      this.early.delete(m.msg_id);
      this.messages.push(m);
      added.push(m);
    }
    return added;
  }

  // Moves a member's receipt cursor (never backwards); a read also covers
  // delivery, as the server's cursors do.
  receipt(userId, state, msgId) {
    const c = this.cursors.get(userId) ?? { delivered: 0, read: 0 };
    if (state === "read") c.read = Math.max(c.read, msgId);
    c.delivered = Math.max(c.delivered, msgId, c.read);
    this.cursors.set(userId, c);
  }

  // The state of this user's own message as WhatsApp shows it: "read" once
  // every other member has read it, "delivered" once every other member's
  // device has acked it, else "sent".
  stateOf(msg, selfId) {
    const others = this.members.filter((u) => u !== selfId);
    if (!others.length) return "sent";
    const all = (field) =>
      others.every((u) => (this.cursors.get(u)?.[field] ?? 0) >= msg.msg_id);
    if (all("read")) return "read";
    if (all("delivered")) return "delivered";
    return "sent";
  }

  // Messages from others after this user's read cursor, among those held.
  countUnread(selfId) {
    return this.messages.filter(
      (m) => m.sender !== selfId && m.msg_id > this.readUpto,
    ).length;
  }
}
