// The browser page end to end: a real node, Debian's headless Chromium
// driven by playwright-core, two users in two browser contexts.
// Screenshots of the main screens go to $SB_SCREENSHOTS (default: a
// temporary folder).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { NodeProcess } from "./support/node.mjs";

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
  assert.equal(await dave.evaluate(() => document.activeElement.id), "composer-input");
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
