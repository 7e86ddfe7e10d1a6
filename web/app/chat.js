// The signed-in page: a client, the conversation list, the open
// conversation, the composer, and the reconnecting banner.
import { SwitchboardClient } from "../lib/switchboard.js";
import { h, $ } from "./dom.js";
import { renderConvList } from "./conv_list.js";
import { renderMessages, noteFailed } from "./message_view.js";
import { convName, peerOf, presenceText } from "./names.js";
import { enableNotifications, keepSubscription } from "./notify.js";

export const OPEN_KEY = "switchboard.open";

export class ChatView {
  constructor(token, { onUnauthorized }) {
    this.selected = sessionStorage.getItem(OPEN_KEY);
    this.typing = new Map(); // user id -> timer
    this.everOpen = false;
    this.frame = 0;
    this.client = new SwitchboardClient({ url: location.origin, token, storage: localStorage });
    const c = this.client;
    c.on("state", (s) => {
      this.#banner(s);
      this.render();
    });
    c.on("unauthorized", ({ message }) => onUnauthorized(message));
    for (const ev of ["inbox", "conversation", "message", "receipt", "members", "presence", "outbox", "history", "synced"]) {
      c.on(ev, () => this.render());
    }
    c.on("outbox", (item) => {
      if (item.state === "failed") noteFailed(item);
    });
    c.on("typing", ({ conv_id, user_id }) => this.#typing(conv_id, user_id));
    c.on("message", ({ message }) => this.#typing(message.conv_id, message.sender, true));
    this.#wire();
    c.connect();
  }

  stop() {
    this.client.close();
    this.aborter.abort();
  }

  // One render per animation frame, however many events came.
  render() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.#renderNow();
    });
  }

  #renderNow() {
    const c = this.client;
    $("me").textContent = c.userId ? `Signed in as ${c.userId}` : "";
    renderConvList(c, this.selected, (id) => this.select(id));
    let unread = 0;
    for (const conv of c.conversations.values()) if (!conv.left) unread += conv.unread;
    document.title = unread ? `(${unread}) Switchboard` : "Switchboard";
    let conv = this.selected && c.conversations.get(this.selected);
    if (conv?.left) conv = null;
    $("conv-empty").hidden = !!conv;
    $("conv-open").hidden = !conv;
    if (!conv) return;
    $("conv-title").textContent = convName(conv, c.userId);
    const peer = peerOf(conv, c.userId);
    $("conv-status").textContent = peer
      ? presenceText(c.presence.get(peer))
      : `${conv.members.length} members`;
    const group = conv.kind === "group";
    $("member-list").replaceChildren(...conv.members.map((u) =>
      h("li", {}, u, u === c.userId ? " (you)" : "", " ",
        h("span", { class: "presence" }, u === c.userId ? "" : presenceText(c.presence.get(u))),
        group ? h("button", {
          type: "button",
          class: "link",
          "aria-label": u === c.userId ? "Leave this group" : `Remove ${u}`,
          onclick: () => this.#removeMember(u),
        }, u === c.userId ? "Leave" : "Remove") : null)));
    $("add-member").hidden = conv.kind !== "group";
    renderMessages(c, conv);
    const typers = [...this.typing.keys()]
      .filter((k) => k.startsWith(`${conv.convId} `))
      .map((k) => k.slice(conv.convId.length + 1));
    $("typing").textContent = typers.length
      ? `${typers.join(", ")} ${typers.length > 1 ? "are" : "is"} typing…`
      : "";
    if (document.visibilityState === "visible") c.markRead(conv.convId);
  }

  select(convId) {
    this.selected = convId;
    sessionStorage.setItem(OPEN_KEY, convId);
    $("messages").dataset.rendered = "";
    this.#renderNow();
    $("composer-input").focus();
  }

  #banner({ state, attempt, delayMs }) {
    const b = $("banner");
    if (state === "open") {
      this.everOpen = true;
      b.hidden = true;
      b.textContent = "";
      return;
    }
    if (state === "reconnecting" || (state === "connecting" && this.everOpen)) {
      b.hidden = false;
      const wait = delayMs ? ` in ${(delayMs / 1000).toFixed(1)} s` : "";
      b.textContent = `Connection lost. Reconnecting${wait} (attempt ${attempt})… Messages you write are kept and sent when it is back.`;
    }
  }

  // A typing indicator lasts 4 s, or until that user's message arrives.
  #typing(convId, userId, stop = false) {
    const key = `${convId} ${userId}`;
    clearTimeout(this.typing.get(key));
    this.typing.delete(key);
    if (!stop && userId !== this.client.userId) {
      this.typing.set(key, setTimeout(() => {
        this.typing.delete(key);
        this.render();
      }, 4000));
    }
    this.render();
  }

  #wire() {
    this.aborter = new AbortController();
    const opts = { signal: this.aborter.signal };
    const c = this.client;
    $("new-conv").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const members = $("new-members").value.split(/[\s,]+/).filter(Boolean);
      const title = $("new-title").value.trim();
      const kind = members.length === 1 && !title ? "direct" : "group";
      $("new-conv-error").textContent = "";
      try {
        const conv = await c.create(kind, members, title || undefined);
        $("new-members").value = "";
        $("new-title").value = "";
        this.select(conv.convId);
      } catch (e) {
        $("new-conv-error").textContent = `Could not start it: ${e.message}`;
      }
    }, opts);
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.#send();
    }, opts);
    $("composer-input").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.#send();
      }
    }, opts);
    $("composer-input").addEventListener("input", () => {
      if (this.selected && $("composer-input").value) c.typing(this.selected);
    }, opts);
    $("load-older").addEventListener("click", () => this.#older(), opts);
    $("messages").addEventListener("scroll", () => {
      if ($("messages").scrollTop < 40) this.#older();
    }, opts);
    $("add-member").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const user = $("add-member-input").value.trim();
      $("members-error").textContent = "";
      try {
        await c.changeMembers(this.selected, { add: [user] });
        $("add-member-input").value = "";
      } catch (e) {
        $("members-error").textContent = `Could not add ${user}: ${e.message}`;
      }
    }, opts);
    document.addEventListener("visibilitychange", () => this.render(), opts);
    $("notify-status").textContent = "";
    $("notify").addEventListener("click", async () => {
      $("notify-status").textContent = "Turning notifications on…";
      $("notify-status").textContent = await enableNotifications(c);
    }, opts);
    keepSubscription(c, opts.signal);
    // A notification clicked while this page is open (sw.js).
    navigator.serviceWorker?.addEventListener("message", (ev) => {
      if (typeof ev.data?.open === "string") this.select(ev.data.open);
    }, opts);
  }

  async #removeMember(user) {
    $("members-error").textContent = "";
    try {
      await this.client.changeMembers(this.selected, { remove: [user] });
    } catch (e) {
      $("members-error").textContent = `Could not remove ${user}: ${e.message}`;
    }
  }

  #send() {
    const input = $("composer-input");
    const body = input.value;
    if (!this.selected || !body.trim()) return;
    this.client.send(this.selected, body);
    input.value = "";
  }

  async #older() {
    const conv = this.selected && this.client.conversations.get(this.selected);
    if (!conv || !conv.hasOlder || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      await this.client.loadOlder(conv.convId);
    } catch {
      // disconnected: the button stays for another try
    } finally {
      this.loadingOlder = false;
    }
  }
}
