// The browser page end to end: a real node, Debian's headless Chromium
// driven by playwright-core, two users in two browser contexts.
// Screenshots of the main screens go to $SB_SCREENSHOTS (default: a
// temporary folder).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  createDecipheriv, createECDH, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, verify,
} from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { NodeProcess, waitFor } from "./support/node.mjs";

const shots = process.env.SB_SCREENSHOTS || mkdtempSync(join(tmpdir(), "sb-shots-"));
mkdirSync(shots, { recursive: true });
const TIMEOUT = 15000;

let browser;
const nodes = [];
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.SB_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});
after(async () => {
  await browser?.close();
  for (const n of nodes) await n.stop();
});

async function startNode(args) {
  const n = await new NodeProcess(args).start();
  nodes.push(n);
  return n;
}

async function openPage(node) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.errors = errors;
  await page.goto(node.url);
  return page;
}

async function signIn(page, user) {
  await page.getByLabel("User name").fill(user);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText(`Signed in as ${user}`).waitFor();
}

const message = (page, body) => page.locator(".msg", { hasText: body });

test("two users chat: delivered, read, typing, reload, HTML as text, node restart", async () => {
  const node = await startNode(["--dev-login"]);
  const alice = await openPage(node);
  const bob = await openPage(node);
  await alice.screenshot({ path: join(shots, "signin.png") });
  await signIn(alice, "alice");
  await signIn(bob, "bob");

  // Alice starts a direct conversation with Bob and writes.
  await alice.getByLabel("New conversation with").fill("bob");
  await alice.getByRole("button", { name: "Start" }).click();
  await alice.getByRole("heading", { name: "bob" }).waitFor();
  await alice.getByText("online").first().waitFor(); // Bob's presence
  await alice.getByLabel("Message", { exact: true }).fill("Hi Bob! Lunch at noon?");
  await alice.getByLabel("Message", { exact: true }).press("Enter");

  // Bob sees it in his list with an unread badge, then opens it.
  const bobConv = bob.locator(".conv", { hasText: "alice" });
  await bobConv.locator(".badge", { hasText: "1" }).waitFor();
  await bob.screenshot({ path: join(shots, "unread.png") });
  assert.equal(await bob.title(), "(1) Switchboard"); // for a background tab
  await alice.locator(".state[data-state=delivered]").waitFor();
  await bobConv.click();
  await message(bob, "Hi Bob! Lunch at noon?").waitFor();
  await alice.locator(".state[data-state=read]").waitFor();
  assert.equal(await bob.title(), "Switchboard");

  // Typing, then a reply that carries HTML: shown as text.
  await bob.getByLabel("Message", { exact: true }).pressSequentially("Sure");
  await alice.getByText("bob is typing…").waitFor();
  const html = '<img src=x onerror="window.pwned=1"><b>bold?</b>';
  await bob.getByLabel("Message", { exact: true }).fill(html);
  await bob.getByRole("button", { name: "Send" }).click();
  await message(alice, "bold?").waitFor();
  assert.equal(await message(alice, "bold?").locator(".msg-body").textContent(), html);
  assert.equal(await alice.locator(".messages img, .messages b").count(), 0);
  assert.equal(await alice.evaluate(() => window.pwned), undefined);
  await alice.getByText("bob is typing…").waitFor({ state: "hidden" });
  await alice.screenshot({ path: join(shots, "chat.png") });

  // Bob reloads: still signed in, the conversation and its history back.
  await bob.reload();
  await message(bob, "Hi Bob! Lunch at noon?").waitFor();
  await message(bob, "bold?").waitFor();

  // The node restarts: both pages show the banner, reconnect, catch up;
  // a message written during the outage is sent when the node is back.
  await node.kill();
  await alice.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
  await bob.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
  await alice.getByLabel("Message", { exact: true }).fill("Are you still there?");
  await alice.getByLabel("Message", { exact: true }).press("Enter");
  await alice.locator(".state[data-state=pending]").waitFor();
  await alice.screenshot({ path: join(shots, "reconnecting.png") });
  await node.start();
  await alice.getByRole("status").waitFor({ state: "hidden", timeout: 30000 });
  await bob.getByRole("status").waitFor({ state: "hidden", timeout: 30000 });
  await message(bob, "Are you still there?").waitFor({ timeout: 30000 });
  await bob.getByLabel("Message", { exact: true }).fill("Yes!");
  await bob.getByLabel("Message", { exact: true }).press("Enter");
  await message(alice, "Yes!").waitFor();
  assert.equal(await alice.locator(".msg").count(), 4);
  assert.equal(await bob.locator(".msg").count(), 4);

  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bob.errors, []);
  await alice.context().close();
  await bob.context().close();
});

test("a group: members, older history on scroll", async () => {
  const node = await startNode(["--dev-login"]);
  const alice = await openPage(node);
  await signIn(alice, "alice");
  await alice.getByLabel("New conversation with").fill("bob, carol");
  await alice.getByLabel("Group title (optional)").fill("Launch <team>");
  await alice.getByRole("button", { name: "Start" }).click();
  await alice.getByRole("heading", { name: "Launch <team>" }).waitFor();
  for (let i = 1; i <= 45; ++i) {
    await alice.getByLabel("Message", { exact: true }).fill(`note ${i}`);
    await alice.getByLabel("Message", { exact: true }).press("Enter");
  }
  await alice.locator(".state[data-state=pending]").first().waitFor({ state: "detached", timeout: 30000 });
  await alice.locator(".members summary").click();
  await alice.getByLabel("Add a member").fill("dave");
  await alice.getByRole("button", { name: "Add" }).click();
  await alice.locator("#member-list li", { hasText: "dave" }).waitFor();
  await alice.screenshot({ path: join(shots, "group.png") });

  // Dave was added: he sees the group; only the newest page loads first.
  const dave = await openPage(node);
  await signIn(dave, "dave");
  // By keyboard: the conversation list is buttons.
  await dave.locator(".conv", { hasText: "Launch <team>" }).focus();
  await dave.keyboard.press("Enter");
  // The conversation opens, then the composer takes the focus.
  await dave.waitForFunction(() => document.activeElement?.id === "composer-input", null, { timeout: 10000 });
  await message(dave, "note 45").waitFor();
  const first = dave.locator(".msg-body", { hasText: /^note 1$/ });
  assert.equal(await first.count(), 0);
  await dave.locator("#messages").evaluate((el) => { el.scrollTop = 0; });
  await first.waitFor();
  assert.equal(await dave.locator(".msg").count(), 45);

  // Only the creator removes others; the creator removes Dave.
  await dave.locator(".members summary").click();
  await dave.getByRole("button", { name: "Remove bob" }).click();
  await dave.getByRole("alert").filter({ hasText: "Could not remove bob" }).waitFor();
  await alice.getByRole("button", { name: "Remove dave" }).click();
  await dave.locator(".conv", { hasText: "Launch <team>" }).waitFor({ state: "detached" });
  await dave.getByText("Pick a conversation").waitFor();
  await alice.locator("#member-list li", { hasText: "dave" }).waitFor({ state: "detached" });
  await alice.context().close();
  await dave.context().close();
});

test("bad sign-ins say why", async () => {
  const node = await startNode([]); // no --dev-login
  const page = await openPage(node);
  await page.getByLabel("User name").fill("alice");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "dev login is off" }).waitFor();
  await page.getByLabel("Or paste a token").fill("not.a.token");
  await page.getByRole("button", { name: "Sign in with token" }).click();
  await page.getByRole("alert").filter({ hasText: "refused the token" }).waitFor();
  await page.screenshot({ path: join(shots, "bad-token.png") });
  assert.equal(await page.locator("#signin").isVisible(), true);
  await page.context().close();
});

// --- Web Push ---------------------------------------------------------------
//
// Headless Chromium has no push service (its subscribe() needs Google's),
// so the test is one: the page's PushManager.subscribe() is replaced by
// one that hands out a subscription whose endpoint is the test's HTTP
// server and whose keys the test holds. The node encrypts and posts to it;
// the test decrypts as a browser would (which checks the encryption) and
// hands the plaintext to the real service worker over the DevTools
// protocol, as Chromium's push service client would.

// Takes the node's POSTs to a subscription's endpoint, in order; 201 to each.
async function fakePushService() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    received,
    url: `http://127.0.0.1:${server.address().port}`,
    // The n-th push (from 1), once the node sent it.
    async nth(n) {
      await waitFor(() => received.length >= n, `push ${n} at the push service`);
      return received[n - 1];
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// RFC 8291 (aes128gcm, RFC 8188) from the browser's side: `ua` is the
// subscription's ECDH key, `auth` its secret. The node's payloads fit one
// record.
function decryptPush(body, ua, auth) {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const asPublic = body.subarray(21, 21 + body[20]);
  const record = body.subarray(21 + body[20]);
  assert.equal(asPublic.length, 65, "keyid: the node's ephemeral P-256 key");
  assert.ok(record.length <= rs, "one record");
  const info = (s) => Buffer.from(`${s}\0`);
  const ikm = hkdfSync("sha256", ua.computeSecret(asPublic), auth,
    Buffer.concat([info("WebPush: info"), ua.getPublicKey(), asPublic]), 32);
  const cek = hkdfSync("sha256", ikm, salt, info("Content-Encoding: aes128gcm"), 16);
  const nonce = hkdfSync("sha256", ikm, salt, info("Content-Encoding: nonce"), 12);
  const d = createDecipheriv("aes-128-gcm", Buffer.from(cek), Buffer.from(nonce));
  d.setAuthTag(record.subarray(-16));
  const padded = Buffer.concat([d.update(record.subarray(0, -16)), d.final()]);
  let end = padded.length - 1;
  while (end > 0 && padded[end] === 0) --end; // padding
  assert.equal(padded[end], 2, "the last record's delimiter");
  return padded.subarray(0, end).toString();
}

// The VAPID header (RFC 8292): an ES256 token for the push service's
// origin, signed with the key the browser subscribed with.
function checkVapid(header, vapidKey, audience) {
  const m = /^vapid t=([^,]+), k=(.+)$/.exec(header);
  assert.ok(m, header);
  assert.equal(m[2], vapidKey);
  const [head, claims, sig] = m[1].split(".");
  const k = Buffer.from(vapidKey, "base64url");
  const key = createPublicKey({
    format: "jwk",
    key: { kty: "EC", crv: "P-256", x: k.subarray(1, 33).toString("base64url"), y: k.subarray(33).toString("base64url") },
  });
  assert.ok(verify("sha256", Buffer.from(`${head}.${claims}`), { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(sig, "base64url")), "the VAPID token's signature");
  const c = JSON.parse(Buffer.from(claims, "base64url"));
  assert.equal(c.aud, audience);
  assert.equal(c.sub, "mailto:test@example.org");
  assert.ok(c.exp > Date.now() / 1000);
}

// Errors in the page and on its console (the page says what went wrong,
// never throws); the browser's request for a favicon the node lacks aside.
function consoleErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico")) errors.push(m.text());
  });
  return errors;
}

// The notifications the page's service worker shows now (null: no
// service worker registered).
const shown = (page) => page.evaluate(async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return registration && (await registration.getNotifications())
    .map((n) => ({ title: n.title, tag: n.tag, body: n.body, msg_id: n.data?.msg_id }));
});

async function notificationsAre(page, want, what, ms = 15000) {
  let last;
  try {
    await waitFor(async () => {
      last = await shown(page);
      return JSON.stringify(last) === JSON.stringify(want);
    }, what, ms);
  } catch (e) {
    throw new Error(`${e.message}; shown: ${JSON.stringify(last)}`);
  }
}

// Hands the push `text` to the service worker (`deliver`) until the page
// shows `want`: DevTools' deliverPushMessage now and then reaches no worker
// (a CI run showed nothing for 15 s), and a push of the same payload
// again is what a push service's retry would be, which the worker shows
// the same way (one notification per conversation, by its tag).
async function pushShows(page, deliver, text, want, what) {
  const deadline = Date.now() + 30000;
  for (;;) {
    await deliver(text);
    try {
      return await notificationsAre(page, want, what, 5000);
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
}

// A node with dev login and Web Push on: a fresh VAPID key (removed after
// test `t`), the test's subject, and `args`.
async function webPushNode(t, args) {
  const dir = mkdtempSync(join(tmpdir(), "sb-vapid-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vapidFile = join(dir, "vapid.pem");
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  writeFileSync(vapidFile, privateKey.export({ type: "pkcs8", format: "pem" }));
  return startNode([
    "--dev-login", "--webpush-vapid-key", vapidFile, "--webpush-subject", "mailto:test@example.org",
    "--webpush-allow-private", "true", // the fake push service is on http://127.0.0.1
    ...args,
  ]);
}

test("notifications: the service worker shows a push and clears it when read elsewhere", async (t) => {
  const push = await fakePushService();
  t.after(() => push.close()); // also when an assertion failed
  const node = await webPushNode(t, ["--push-grace-ms", "0"]);

  // Bob's browser: notifications allowed, and a subscription at the fake
  // push service (in the page only: the service worker is the real one).
  const ua = createECDH("prime256v1");
  ua.generateKeys();
  const authSecret = randomBytes(16);
  const sub = {
    endpoint: `${push.url}/push/1`,
    expirationTime: null,
    keys: { p256dh: ua.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") },
  };
  const bobContext = await browser.newContext();
  await bobContext.grantPermissions(["notifications"], { origin: node.url });
  await bobContext.addInitScript((json) => {
    if (typeof PushManager === "undefined") return;
    PushManager.prototype.subscribe = async function (options) {
      const key = new Uint8Array(options.applicationServerKey);
      window.subscribedWith = {
        userVisibleOnly: options.userVisibleOnly,
        key: btoa(String.fromCharCode(...key)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
      };
      return { endpoint: json.endpoint, options, toJSON: () => json };
    };
  }, sub);
  const bob = await bobContext.newPage();
  bob.setDefaultTimeout(TIMEOUT);
  const bobErrors = consoleErrors(bob);
  await bob.goto(node.url);

  // The service worker's registration, as DevTools sees it.
  const cdp = await bobContext.newCDPSession(bob);
  let registrationId = null;
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
    for (const r of registrations) {
      if (r.scopeURL === `${node.url}/`) registrationId = r.isDeleted ? null : r.registrationId;
    }
  });
  await cdp.send("ServiceWorker.enable");
  const deliver = (data) =>
    cdp.send("ServiceWorker.deliverPushMessage", { origin: node.url, registrationId, data });

  await signIn(bob, "bob");
  await bob.getByRole("button", { name: "Notifications" }).click();
  await bob.getByText("Notifications are on.").waitFor();
  await bob.screenshot({ path: join(shots, "notifications.png") });
  await waitFor(() => registrationId !== null, "the service worker's registration");
  const { webpush_key: vapidKey } = await (await fetch(`${node.url}/push-config.json`)).json();
  assert.deepEqual(await bob.evaluate(() => window.subscribedWith), { userVisibleOnly: true, key: vapidKey });
  // Bob closes the chat: no connection of his gets the messages.
  await bob.getByRole("button", { name: "Sign out" }).click();
  await bob.getByLabel("User name").waitFor();

  const alice = await openPage(node);
  await signIn(alice, "alice");
  await alice.getByLabel("New conversation with").fill("bob");
  await alice.getByRole("button", { name: "Start" }).click();
  await alice.getByRole("heading", { name: "bob" }).waitFor();
  const convId = await alice.evaluate(() => sessionStorage.getItem("switchboard.open"));
  await alice.getByLabel("Message", { exact: true }).fill("Lunch at noon?");
  await alice.getByLabel("Message", { exact: true }).press("Enter");

  // The push: to the subscription's endpoint, VAPID-signed, encrypted for
  // Bob's browser alone; the service worker shows it, tagged by conversation.
  const first = await push.nth(1);
  assert.equal(first.method, "POST");
  assert.equal(first.url, "/push/1");
  assert.equal(first.headers["content-encoding"], "aes128gcm");
  assert.equal(first.headers.urgency, "high");
  assert.ok(Number(first.headers.ttl) > 0);
  checkVapid(first.headers.authorization, vapidKey, push.url);
  const firstText = decryptPush(first.body, ua, authSecret);
  assert.deepEqual(JSON.parse(firstText), { conv_id: convId, badge: 1, msg_id: 1, sender: "alice" });
  await pushShows(bob, deliver, firstText,
    [{ title: "alice", tag: convId, body: "New message", msg_id: 1 }], "alice's notification");

  // A newer message replaces it: one notification per conversation.
  await alice.getByLabel("Message", { exact: true }).fill("Or one?");
  await alice.getByLabel("Message", { exact: true }).press("Enter");
  const second = await push.nth(2);
  assert.equal(second.headers.topic, first.headers.topic);
  const secondText = decryptPush(second.body, ua, authSecret);
  assert.equal(JSON.parse(secondText).msg_id, 2);
  await pushShows(bob, deliver, secondText,
    [{ title: "alice", tag: convId, body: "New message", msg_id: 2 }],
    "the newer notification in place of the first");

  // Bob reads the conversation on another device: a silent clear follows,
  // and the service worker closes the notification.
  const bobPhone = await openPage(node);
  await signIn(bobPhone, "bob");
  await bobPhone.locator(".conv", { hasText: "alice" }).click();
  await message(bobPhone, "Or one?").waitFor();
  const clear = await push.nth(3);
  assert.equal(clear.headers.urgency, "normal");
  const clearText = decryptPush(clear.body, ua, authSecret);
  assert.deepEqual(JSON.parse(clearText), { conv_id: convId, badge: 0, clear: true });
  await pushShows(bob, deliver, clearText, [], "the notification closed");

  assert.deepEqual(bobErrors, []);
  assert.deepEqual(alice.errors, []);
  assert.deepEqual(bobPhone.errors, []);
  await alice.context().close();
  await bobPhone.context().close();
  await bobContext.close();
});

test("notifications: a subscription the push service rotates is registered again by the page", async (t) => {
  const node = await webPushNode(t, []);
  const subscription = (n) => ({
    endpoint: `https://push.example/${n}`,
    expirationTime: null,
    keys: { p256dh: createECDH("prime256v1").generateKeys().toString("base64url"), auth: randomBytes(16).toString("base64url") },
  });
  const first = subscription(1);
  const context = await browser.newContext();
  await context.grantPermissions(["notifications"], { origin: node.url });
  await context.addInitScript((json) => {
    if (typeof PushManager === "undefined") return;
    PushManager.prototype.subscribe = async function (options) {
      return { endpoint: json.endpoint, options, toJSON: () => json };
    };
  }, first);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = consoleErrors(page);
  await page.goto(node.url);
  await signIn(page, "bob");
  await page.getByRole("button", { name: "Notifications" }).click();
  await page.getByText("Notifications are on.").waitFor();

  // Bob's devices, as the node keeps them.
  const { token } = await (await fetch(`${node.url}/v1/dev/login`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user_id: "bob" }),
  })).json();
  const endpoints = async () => {
    const res = await fetch(`${node.url}/v1/devices`, { headers: { Authorization: `Bearer ${token}` } });
    const { devices } = await res.json();
    return devices.map((d) => JSON.parse(d.token).endpoint).sort();
  };
  assert.deepEqual(await endpoints(), [first.endpoint]);

  // The push service rotates the subscription: the worker's handler of
  // pushsubscriptionchange runs with the new one (Chromium cannot be made
  // to fire the event itself), and hands it to the page, which registers it.
  const second = subscription(2);
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent("serviceworker");
  await worker.evaluate((json) => onSubscriptionChange(null, { toJSON: () => json }), second);
  await waitFor(async () => (await endpoints()).length === 2, "the rotated subscription registered");
  assert.deepEqual(await endpoints(), [first.endpoint, second.endpoint]);
  assert.deepEqual(errors, []);
  await context.close();
});

test("notifications: the page says why they cannot be turned on", async () => {
  const node = await startNode(["--dev-login"]); // no --webpush-vapid-key
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors = consoleErrors(page);
  await page.goto(node.url);
  await signIn(page, "bob");
  await page.getByRole("button", { name: "Notifications" }).click();
  await page.getByText(/Notifications (were not allowed|are blocked)/).waitFor();
  await context.grantPermissions(["notifications"], { origin: node.url });
  await page.getByRole("button", { name: "Notifications" }).click();
  await page.getByText("This node does not send push notifications.").waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
