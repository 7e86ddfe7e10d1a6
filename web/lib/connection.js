// One user's WebSocket to a node, kept open: heartbeat, reconnect with
// exponential backoff and jitter, requests matched to answers by rid.
// Given several nodes (options.urls), it stays on the node it reached and,
// when an attempt fails or the connection closes abnormally, tries the
// next one (round robin). What the frames mean is the client's business
// (switchboard.js).
import { Emitter } from "./emitter.js";

export class SwitchboardError extends Error {
  constructor(code, message, extra = {}) {
    super(message);
    this.code = code;
    Object.assign(this, extra);
  }
}

// The close code of a connection closed on purpose: reconnect to the same
// node. Every other code (1001 going away, 1006 lost, 1011, 1013...), and
// an attempt that never got its welcome, moves on to the next URL.
const NORMAL_CLOSURE = 1000;

// Events: "state" {state, attempt, delayMs, url}; "welcome" (the frame);
// "frame" (any frame that is not an answer); "lost" (the socket went);
// "unauthorized" {message} (the token was refused: no more retries).
export class Connection extends Emitter {
  // options.urls: the nodes' base URLs, at least one.
  constructor(options) {
    super();
    this.options = options;
    this.urls = options.urls;
    this.state = "idle"; // connecting, open, reconnecting, closed, unauthorized
    this.attempt = 0;
  }

  // The node of the current connection, or the one the next attempt goes to.
  get url() {
    return this.urls[this.#index];
  }

  #ws = null;
  #index = 0; // into urls
  #welcomed = false;
  #rid = 0;
  #pending = new Map(); // rid -> {resolve, reject, timer}
  #heartbeat = null;
  #lastHeard = 0;
  #retryTimer = null;

  connect() {
    if (this.state === "idle" || this.state === "closed") this.#open();
  }

  close() {
    this.#setState("closed");
    clearTimeout(this.#retryTimer);
    this.#drop();
  }

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

  // A frame without an answer (ack, read, typing); dropped when not open.
  send(frame) {
    if (this.state !== "open") return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  #open() {
    this.#setState(this.attempt ? "reconnecting" : "connecting");
    const url = new URL("/v1/ws", this.url);
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
    ws.onclose = (ev) => {
      if (this.#ws === ws) this.#onClosed(ev?.code);
    };
    ws.onerror = () => {}; // onclose follows
  }

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
    if (f.type === "welcome") {
      this.#welcomed = true;
      this.attempt = 0;
      this.#startHeartbeat(f.heartbeat_s);
      this.#setState("open");
      this.emit("welcome", f);
      return;
    }
    if (f.type !== "pong") this.emit("frame", f);
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

  // `code`: the WebSocket close code; none when the heartbeat gave up.
  async #onClosed(code) {
    const welcomed = this.#welcomed;
    const url = this.url;
    this.#drop();
    this.emit("lost", {});
    if (this.state === "closed") return;
    if (!welcomed && (await this.#tokenRefused(url))) return;
    if (!welcomed || code !== NORMAL_CLOSURE) this.#index = (this.#index + 1) % this.urls.length;
    this.#scheduleReconnect();
  }

  // A WebSocket refused at the handshake does not say why; the REST API of
  // the node that refused it does. Returns true (and stops) when the token
  // is the reason; false when it is not, or that node cannot be reached
  // (the next attempt goes to the next node).
  async #tokenRefused(url) {
    if (!this.options.fetch) return false;
    try {
      const res = await this.options.fetch(new URL("/v1/conversations", url), {
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

  // Delays drawn from [d/2, d], d doubling from minBackoffMs to maxBackoffMs.
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
    this.emit("state", { state, attempt: this.attempt, url: this.url, ...extra });
  }

  // A ping every heartbeat_s / 2; two heartbeats of silence: the link is dead.
  #startHeartbeat(heartbeatS) {
    clearInterval(this.#heartbeat);
    this.#lastHeard = Date.now();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * heartbeatS * 1000) {
        this.#onClosed(); // no close code: abnormal, try the next node
        return;
      }
      this.#ws?.send(JSON.stringify({ type: "ping" }));
    }, (heartbeatS * 1000) / 2);
  }
}
