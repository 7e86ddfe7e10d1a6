// The service worker: shows the node's Web Push notifications while no
// page of this user is connected (docs/push.md). Served from the root, so
// that its scope is the whole page. A push is the JSON the node encrypted
// for this browser: {conv_id, badge, msg_id, sender, preview?} for a
// message, {conv_id, badge, clear: true} when the conversation was read on
// another device.

self.addEventListener("push", (event) => {
  event.waitUntil(onPush(event.data));
});

async function onPush(data) {
  let p = null;
  try {
    p = data?.json();
  } catch {
    // not the node's JSON: nothing to show
  }
  if (!p || typeof p.conv_id !== "string") return;
  await setBadge(p.badge);
  if (p.clear) {
    for (const n of await self.registration.getNotifications({ tag: p.conv_id })) n.close();
    return;
  }
  // One notification per conversation (its tag): a newer message replaces
  // the older one, and renotify makes the replacement alert again.
  await self.registration.showNotification(p.sender || "Switchboard", {
    body: p.preview || "New message",
    tag: p.conv_id,
    renotify: true,
    data: p,
  });
}

// The app badge (an installed app's icon), where the browser has one. It
// may refuse (not installed): the notification matters, not the badge.
async function setBadge(n) {
  if (!("setAppBadge" in navigator) || typeof n !== "number") return;
  try {
    await (n > 0 ? navigator.setAppBadge(n) : navigator.clearAppBadge());
  } catch {
    // no badge here
  }
}

// The browser's push service rotated (or dropped) the subscription: a new
// one, with the same VAPID key, goes to the node as this user's device. The
// worker holds no token, so it hands the subscription to the app's pages,
// which register it (notify.js); with no page open, the next page to open
// registers the browser's subscription anyway. The node drops the old one
// when the push service answers 404 or 410 to it.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(onSubscriptionChange(event.oldSubscription, event.newSubscription));
});

async function onSubscriptionChange(old, fresh) {
  let sub = fresh;
  if (!sub) {
    let key = old?.options?.applicationServerKey;
    if (!key) {
      const config = await (await fetch("/push-config.json")).json();
      if (!config.webpush_key) return; // the node sends no pushes now
      key = config.webpush_key;
    }
    sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const page of pages) page.postMessage({ subscription: sub.toJSON() });
}

// A click focuses a page of the app and opens the conversation there (the
// page listens for {open}); with no page, it opens one on it.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const convId = event.notification.data?.conv_id;
  event.waitUntil((async () => {
    const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const page = pages[0];
    if (page) {
      await page.focus();
      if (convId) page.postMessage({ open: convId });
      return;
    }
    const url = new URL("/", self.registration.scope);
    if (convId) url.searchParams.set("conv", convId);
    await self.clients.openWindow(url.href);
  })());
});
