// The JavaScript client library (web/lib) against a real node, in Node
// with the `ws` package as its WebSocket.
import { test, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

import { SwitchboardClient, Conversation, devLogin } from "../../web/lib/switchboard.js";
import { retryDelay } from "../../web/lib/outbox.js";
import { NodeProcess, token, waitFor } from "./support/node.mjs";

const nodes = [];
async function startNode(args = []) {
  const n = await new NodeProcess(args).start();
  nodes.push(n);
  return n;
}
const clients = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
after(async () => {
  for (const n of nodes) await n.stop();
});

// A client of `user` on `node`, or on a list of node URLs.
function client(node, user, extra = {}) {
  const c = new SwitchboardClient({
    ...(Array.isArray(node) ? { urls: node } : { url: node.url }),
    token: token(user),
    WebSocket,
    minBackoffMs: 50,
    maxBackoffMs: 400,
    ...extra,
  });
  clients.push(c);
  return c.connect();
}

const open = (c) => waitFor(() => c.state === "open", `${c.url} open`);
const synced = (c) => new Promise((r) => c.on("synced", r));

test("the conversation window drops duplicates and holds back past a gap", () => {
  const conv = new Conversation("c1");
  conv.start([], false);
  const m = (id) => ({ msg_id: id, sender: "bob", body: `m${id}` });
  assert.deepEqual(conv.ingest([m(1), m(2), m(2)]).map((x) => x.msg_id), [1, 2]);
  assert.deepEqual(conv.ingest([m(4), m(5)]), []);
  assert.ok(conv.hasGap);
  assert.equal(conv.high, 2);
  assert.deepEqual(conv.ingest([m(3), m(1)]).map((x) => x.msg_id), [3, 4, 5]);
  assert.ok(!conv.hasGap);
  assert.deepEqual(conv.messages.map((x) => x.msg_id), [1, 2, 3, 4, 5]);
});

test("two users chat: sent, delivered, read, typing and presence", async () => {
  const node = await startNode();
  const alice = client(node, "alice");
  await open(alice);
  const bob = client(node, "bob");
  await open(bob);

  const conv = await alice.create("direct", ["bob"]);
  assert.equal(conv.kind, "direct");
  await waitFor(() => alice.presence.get("bob")?.online === true, "bob online");

  const bobGot = [];
  bob.on("message", ({ message }) => bobGot.push(message));
  const item = alice.send(conv.convId, "hello <b>bob</b>");
  await waitFor(() => item.state === "sent", "sent");
  await waitFor(() => bobGot.length === 1, "bob receives");
  assert.equal(bobGot[0].body, "hello <b>bob</b>");
  assert.equal(bobGot[0].sender, "alice");
  assert.equal(bobGot[0].client_msg_id, item.client_msg_id);

  const msg = conv.messages.at(-1);
  assert.equal(msg.msg_id, item.msg_id);
  // Bob's client acks what it holds: delivered; reading it: read.
  await waitFor(() => alice.stateOf(conv.convId, msg) === "delivered", "delivered");
  const bobConv = bob.conversations.get(conv.convId);
  assert.equal(bobConv.unread, 1);
  bob.markRead(conv.convId);
  assert.equal(bobConv.unread, 0);
  await waitFor(() => alice.stateOf(conv.convId, msg) === "read", "read");

  const typing = new Promise((r) => alice.on("typing", r));
  bob.typing(conv.convId);
  assert.deepEqual(await typing, { conv_id: conv.convId, user_id: "bob" });

  bob.close();
  await waitFor(() => alice.presence.get("bob")?.online === false, "bob offline");
  assert.ok(alice.presence.get("bob").last_seen > 0);
  alice.close();
});

test("loadReceipts reads the other members' cursors that no receipt told", async () => {
  // A channel from three members on: its readers' receipts stay with them.
  const node = await startNode(["--fanout-threshold", "2"]);
  const alice = client(node, "alice");
  const bob = client(node, "bob");
  await open(alice);
  await open(bob);
  const conv = await alice.create("group", ["bob", "carol"]);
  const item = alice.send(conv.convId, "to the channel");
  await waitFor(() => item.state === "sent", "sent");
  await waitFor(() => bob.conversations.get(conv.convId)?.high === item.msg_id, "bob holds it");
  bob.markRead(conv.convId);
  const msg = conv.messages.at(-1);
  await waitFor(async () => {
    await alice.loadReceipts(conv.convId);
    return conv.cursors.get("bob")?.read === item.msg_id;
  }, "bob's read cursor");
  assert.equal(conv.cursors.get("bob").delivered, item.msg_id);
  assert.equal(conv.cursors.get("carol")?.read ?? 0, 0);
  // carol has read nothing: still sent, not read by everyone.
  assert.equal(alice.stateOf(conv.convId, msg), "sent");
});

test("after the node is killed and restarted mid-conversation, nothing is missing and nothing is twice", async () => {
  const node = await startNode();
  const alice = client(node, "alice");
  const bob = client(node, "bob");
  await open(alice);
  await open(bob);
  const conv = await bob.create("direct", ["alice"]);

  const total = 120;
  const sends = [];
  for (let i = 0; i < total; ++i) {
    sends.push(bob.send(conv.convId, `m${i}`));
    if (i === 40) {
      // Some acknowledged, some in flight, the rest not yet sent.
      await waitFor(() => sends.some((s) => s.state === "sent"), "first sends");
      await node.kill();
    }
  }
  await waitFor(() => alice.state === "reconnecting" && bob.state === "reconnecting", "both see the loss");
  await node.start(); // same data directory, same port
  await waitFor(() => sends.every((s) => s.state === "sent"), "every send acknowledged", 30000);

  const aliceConv = alice.conversations.get(conv.convId);
  await waitFor(() => aliceConv && aliceConv.high === total, "alice holds every message", 30000);
  const ids = aliceConv.messages.map((m) => m.msg_id);
  assert.deepEqual(ids, Array.from({ length: total }, (_, i) => i + 1));
  // One message in flight per conversation: the log keeps the send order.
  assert.deepEqual(aliceConv.messages.map((m) => m.body), sends.map((s) => s.body));
  assert.equal(new Set(sends.map((s) => s.msg_id)).size, total);

  // A fresh client reads the server's log: the same, once each.
  const carol = client(node, "alice");
  await open(carol);
  await waitFor(() => carol.conversations.get(conv.convId)?.loaded, "loaded");
  let c = carol.conversations.get(conv.convId);
  while (c.hasOlder) await carol.loadOlder(conv.convId, 50);
  assert.deepEqual(c.messages.map((m) => m.msg_id), ids);
  assert.equal(new Set(c.messages.map((m) => m.client_msg_id)).size, total);
  for (const x of [alice, bob, carol]) x.close();
});

test("messages sent while the node is down wait in storage across a restart of the client", async () => {
  const node = await startNode();
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const bob = client(node, "bob", { storage });
  await open(bob);
  const conv = await bob.create("group", ["alice"], "team");
  await node.kill();
  await waitFor(() => bob.state === "reconnecting", "bob sees the loss");
  bob.send(conv.convId, "written offline");
  assert.equal(bob.outbox.length, 1);
  bob.close(); // the tab is closed

  await node.start();
  const again = client(node, "bob", { storage });
  assert.equal(again.outbox.length, 1);
  await waitFor(() => again.outbox.length === 0, "outbox flushed");
  const c = again.conversations.get(conv.convId);
  await waitFor(() => c?.messages.some((m) => m.body === "written offline"), "message held");
  assert.equal(c.title, "team");
  again.close();
});

test("a refused token is reported, not retried; a refused dev login says why", async () => {
  const node = await startNode();
  const bad = new SwitchboardClient({ url: node.url, token: "not-a-token", WebSocket });
  clients.push(bad);
  const why = new Promise((r) => bad.on("unauthorized", r));
  bad.connect();
  const { message } = await why;
  assert.match(message, /refused the token/);
  assert.equal(bad.state, "unauthorized");

  await assert.rejects(devLogin(node.url, "alice"), (e) => e.code === "forbidden" && /--dev-login/.test(e.message));
  const dev = await startNode(["--dev-login"]);
  const t = await devLogin(dev.url, "alice");
  assert.equal(t.user_id, "alice");
  await assert.rejects(devLogin(dev.url, "no spaces"), (e) => e.code === "bad_request");
});

test("registerDevice posts a device for push with the user's token; a refusal rejects with the node's code", async () => {
  const node = await startNode();
  const bob = client(node, "bob");
  // A browser's key (an uncompressed P-256 point) and auth secret, as long
  // as real ones: the node checks their sizes.
  const keys = {
    p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString("base64url"),
    auth: Buffer.alloc(16, 9).toString("base64url"),
  };
  await bob.registerDevice("webpush", JSON.stringify({ endpoint: "https://push.example/1", keys }));
  await assert.rejects(
    bob.registerDevice("webpush", JSON.stringify({ endpoint: "http://push.example/1", keys })),
    (e) => e.code === "bad_request" && /https/.test(e.message),
  );
  await assert.rejects(bob.registerDevice("pigeon", "x"), (e) => e.code === "bad_request" && /platform/.test(e.message));
  const bad = new SwitchboardClient({ url: node.url, token: "not-a-token", WebSocket });
  await assert.rejects(bad.registerDevice("fcm", "t"), (e) => e.code === "unauthorized");
});

test("a member added to a group learns of it, loads its history and gets new messages", async () => {
  const node = await startNode();
  const alice = client(node, "alice");
  const dave = client(node, "dave");
  await open(alice);
  await open(dave);
  const conv = await alice.create("group", ["bob"], "plans");
  for (let i = 0; i < 3; ++i) alice.send(conv.convId, `before ${i}`);
  await waitFor(() => alice.outbox.length === 0, "sent");
  await alice.changeMembers(conv.convId, { add: ["dave"] });
  await waitFor(() => dave.conversations.get(conv.convId)?.loaded, "dave loads it");
  const d = dave.conversations.get(conv.convId);
  await waitFor(() => d.title === "plans", "title");
  assert.deepEqual(d.messages.map((m) => m.body), ["before 0", "before 1", "before 2"]);
  assert.equal(d.unread, 3);
  alice.send(conv.convId, "after");
  await waitFor(() => d.messages.length === 4, "live message");
  assert.equal(d.unread, 4);
  alice.close();
  dave.close();
});

test("the client reads the whole inbox, however many pages the node cuts it in", async () => {
  // Two conversations a page: five come in three.
  const node = await startNode(["--inbox-page", "2"]);
  const alice = client(node, "alice");
  await open(alice);
  const made = [];
  for (let i = 0; i < 5; ++i) made.push((await alice.create("group", [`b${i}`], `g${i}`)).convId);
  alice.close();
  const again = client(node, "alice");
  await synced(again);
  for (const id of made) {
    const c = again.conversations.get(id);
    assert.ok(c && !c.left, `${id} is listed`);
    assert.equal(c.title, `g${made.indexOf(id)}`);
  }
});

test("reconnect delays back off exponentially with jitter, up to the cap", async () => {
  const node = await startNode();
  const c = client(node, "erin", { minBackoffMs: 40, maxBackoffMs: 300 });
  await open(c);
  const delays = [];
  c.on("state", ({ state, delayMs }) => {
    if (state === "reconnecting" && delayMs) delays.push(delayMs);
  });
  await node.kill();
  await waitFor(() => delays.length >= 6, "six reconnect attempts");
  delays.slice(0, 6).forEach((d, k) => {
    const ceiling = Math.min(300, 40 * 2 ** k);
    assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${k + 1}: ${d} ms not in [${ceiling / 2}, ${ceiling}]`);
  });
  await node.start();
  await open(c);
  assert.equal(c.attempt, 0); // a welcome resets the backoff
});

test("a node that stops answering is noticed by the heartbeat, and rejoined", async () => {
  const node = await startNode(["--heartbeat-s", "1"]);
  const c = client(node, "frank");
  await open(c);
  node.child.kill("SIGSTOP"); // hung: the TCP connection stays up, silent
  try {
    await waitFor(() => c.state === "reconnecting", "the client notices the silence", 10000);
  } finally {
    node.child.kill("SIGCONT");
  }
  await open(c);
});

// The URL of a loopback port nothing listens on (bound, then closed).
async function closedPortUrl() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}`;
}

// The node URL each reconnect attempt of `c` goes to, from now on.
function attempts(c) {
  const urls = [];
  c.on("state", ({ state, delayMs, url }) => {
    if (state === "reconnecting" && delayMs) urls.push(url);
  });
  return urls;
}

test("the nodes are options.urls, or options.url as a list of one", () => {
  const make = (o) => new SwitchboardClient({ token: "t", WebSocket, ...o });
  assert.equal(make({ url: "http://a:7070" }).url, "http://a:7070");
  assert.equal(make({ urls: ["http://a:7070", "http://b:7070"] }).url, "http://a:7070");
  assert.throws(() => make({ urls: [] }), TypeError);
  assert.throws(() => make({ urls: ["http://a:7070", ""] }), TypeError);
  assert.throws(() => make({ urls: ["not a url"] }), TypeError);
  assert.throws(() => make({ url: "http://a:7070", urls: ["http://b:7070"] }), TypeError);
  assert.throws(() => make({}), TypeError); // Node has no page origin
});

test("given two URLs of which the first refuses connections, the client connects to the second", async () => {
  const node = await startNode();
  const closed = await closedPortUrl();
  const c = client([closed, node.url], "gina");
  const tried = attempts(c);
  const sync = synced(c);
  await open(c);
  assert.equal(c.url, node.url);
  assert.deepEqual(tried, [node.url]); // the first retry went to the second node
  assert.equal(c.attempt, 0);
  await sync;
  // REST goes where the connection is: a dev login tries the next node too.
  const dev = await startNode(["--dev-login"]);
  assert.equal((await devLogin([closed, dev.url], "gina")).user_id, "gina");
  await assert.rejects(devLogin([closed], "gina"), (e) => e.code === "unavailable");
});

test("when its node is killed or stopped, the client reconnects to the next node and resyncs there", async () => {
  const a = await startNode(["--node-id", "a"]);
  const b = await startNode(["--node-id", "b"]);
  // On b (a node of its own: standalone nodes share no data), bob has
  // written to alice while she was on a.
  const bob = client(b, "bob");
  await open(bob);
  const onB = await bob.create("direct", ["alice"]);
  bob.send(onB.convId, "on b");
  await waitFor(() => bob.outbox.length === 0, "bob's message sent");

  const alice = client([a.url, b.url], "alice");
  await synced(alice);
  assert.equal(alice.url, a.url);
  let syncs = 0;
  alice.on("synced", () => ++syncs);
  const tried = attempts(alice);

  await a.kill(); // the connection drops (1006): abnormal
  await waitFor(() => alice.state === "open" && syncs === 1, "alice open and synced again");
  assert.equal(alice.url, b.url);
  assert.equal(tried[0], b.url); // not the dead node first
  const conv = alice.conversations.get(onB.convId);
  assert.ok(conv?.loaded, "the resync on b loaded b's conversation");
  assert.deepEqual(conv.messages.map((m) => m.body), ["on b"]);
  assert.equal(conv.unread, 1);

  // Settled on b: a send there is stored there, and bob gets it live.
  const bobConv = bob.conversations.get(onB.convId);
  const reply = alice.send(onB.convId, "hi from a's client, now on b");
  await waitFor(() => reply.state === "sent", "sent on b");
  await waitFor(() => bobConv.high === 2, "bob receives it");
  assert.equal(alice.url, b.url);

  // b drains (SIGTERM: the connection closes with 1001, going away): the
  // next URL after the last is the first again, a, back on its port.
  bob.close();
  await a.start();
  const before = tried.length;
  await b.stop();
  await waitFor(() => alice.state === "open" && syncs === 2, "alice back on a and synced");
  assert.equal(alice.url, a.url);
  assert.equal(tried[before], a.url);
  alice.close();
});

// A fake node that speaks just enough of the protocol, to answer what a
// real one answers only while a shard is down or moving: `unavailable`
// with retry_after_ms, for every send and for syncs of conversation
// "down", `failures` times, then as it should.
async function fakeNode(retryAfterMs, failures) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  const sends = []; // {at, client_msg_id}
  const syncs = []; // conv_id
  const answered = []; // when each `unavailable` went out
  let connections = 0;
  wss.on("connection", (ws) => {
    ++connections;
    const reply = (f) => ws.send(JSON.stringify(f));
    const unavailable = (rid) => {
      answered.push(Date.now());
      reply({ type: "error", rid, code: "unavailable", message: "shard moving", retry_after_ms: retryAfterMs });
    };
    reply({ type: "welcome", user_id: "hana", session_id: "s1", node: "fake", heartbeat_s: 15 });
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString());
      switch (f.type) {
        case "conversations":
          return reply({ type: "inbox", rid: f.rid, conversations: [] });
        case "sync":
          syncs.push(f.conv_id);
          if (f.conv_id === "down") return unavailable(f.rid);
          return reply({ type: "history", rid: f.rid, conv_id: f.conv_id, messages: [], has_more: false });
        case "send":
          sends.push({ at: Date.now(), client_msg_id: f.client_msg_id });
          if (sends.length <= failures) return unavailable(f.rid);
          return reply({
            type: "sent", rid: f.rid, conv_id: f.conv_id, msg_id: 1,
            client_msg_id: f.client_msg_id, ts: Date.now(), duplicate: false,
          });
        case "ping":
          return reply({ type: "pong", rid: f.rid });
        default:
          return reply({ type: "ok", rid: f.rid });
      }
    });
  });
  return {
    url: `http://127.0.0.1:${wss.address().port}`,
    sends,
    syncs,
    answered,
    get connections() {
      return connections;
    },
    closeClients: (code) => {
      for (const ws of wss.clients) ws.close(code, "test");
    },
    close: () => wss.close(),
  };
}

test("a send answered unavailable is retried with its client_msg_id after retry_after_ms, backing off; other requests reject", async () => {
  const retryAfterMs = 150;
  const fake = await fakeNode(retryAfterMs, 4);
  try {
    const c = client(fake, "hana", { minBackoffMs: 50, maxBackoffMs: 400 });
    await open(c);
    const item = c.send("c1", "once");
    await waitFor(() => item.state === "sent", "sent after the shard is back", 10000);
    assert.equal(fake.sends.length, 5); // four refused, one stored: no more
    assert.deepEqual(new Set(fake.sends.map((s) => s.client_msg_id)), new Set([item.client_msg_id]));
    for (let k = 1; k < fake.sends.length; ++k) {
      const waited = fake.sends[k].at - fake.answered[k - 1];
      assert.ok(waited >= retryAfterMs, `retry ${k} after ${waited} ms, before retry_after_ms`);
    }
    // The fourth failure: minBackoffMs doubled three times (400) is more
    // than retry_after_ms.
    assert.ok(fake.sends[4].at - fake.answered[3] >= 400, "the delay grows with repeated failures");

    // Any other request gets the error, with retry_after_ms; no retry.
    await assert.rejects(
      c.request({ type: "sync", conv_id: "down", limit: 10 }),
      (e) => e.code === "unavailable" && e.retry_after_ms === retryAfterMs,
    );
    assert.equal(fake.syncs.filter((x) => x === "down").length, 1);
    c.close();
  } finally {
    fake.close();
  }
});

test("retry delays: at least retry_after_ms (1 s when none), growing to the cap, with jitter above", () => {
  const o = { minBackoffMs: 100, maxBackoffMs: 1000 };
  for (let i = 0; i < 50; ++i) {
    const inRange = (d, lo) => d >= lo && d <= lo * 1.5;
    assert.ok(inRange(retryDelay(300, 1, o), 300));
    assert.ok(inRange(retryDelay(undefined, 1, o), 1000));
    assert.ok(inRange(retryDelay(0, 1, o), 1000)); // 0 would be a busy loop
    assert.ok(inRange(retryDelay(1, 4, o), 800));
    assert.ok(inRange(retryDelay(1, 30, o), 1000));
    assert.ok(inRange(retryDelay(5000, 30, o), 5000));
  }
});

test("a connection closed normally (1000) reconnects to its node; any other close code moves on", async () => {
  const f1 = await fakeNode(100, 0);
  const f2 = await fakeNode(100, 0);
  try {
    const c = client([f1.url, f2.url], "hana");
    await open(c);
    f1.closeClients(1000);
    await waitFor(() => f1.connections === 2 && c.state === "open", "back on the first node");
    assert.equal(c.url, f1.url);
    assert.equal(f2.connections, 0);
    f1.closeClients(1011);
    await waitFor(() => f2.connections === 1 && c.state === "open", "on the second node");
    assert.equal(c.url, f2.url);
    c.close();
  } finally {
    f1.close();
    f2.close();
  }
});
