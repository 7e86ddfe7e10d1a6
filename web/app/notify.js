// Notifications while the page is closed: when the user asks for them,
// the browser's permission, the service worker (/sw.js, which shows them),
// a push subscription with the node's VAPID key (/push-config.json), and
// that subscription registered as a device of the user (docs/push.md).

// Resolves to a sentence for the page saying how it went; never rejects,
// so that a browser without push support is told, not a console error.
export async function enableNotifications(client) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return window.isSecureContext
      ? "This browser cannot show notifications from a closed page."
      : "Notifications need the page over https (or on localhost).";
  }
  try {
    // First, while the click still counts as the user's gesture: some
    // browsers ask only then.
    const permission = await Notification.requestPermission();
    if (permission === "denied") return "Notifications are blocked for this site (the browser's site settings can allow them).";
    if (permission !== "granted") return "Notifications were not allowed.";
    await navigator.serviceWorker.register("/sw.js");
    // subscribe() needs the worker active, not only registered.
    const registration = await navigator.serviceWorker.ready;
    const config = await (await fetch("/push-config.json")).json();
    if (!config.webpush_key) return "This node does not send push notifications.";
    const key = fromBase64url(config.webpush_key);
    let sub = await registration.pushManager.getSubscription();
    if (sub && !sameKey(sub.options?.applicationServerKey, key)) {
      // Made for another VAPID key (the node's changed): the push service
      // would refuse the node's pushes for it.
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await client.registerDevice("webpush", JSON.stringify(sub.toJSON()));
    return "Notifications are on.";
  } catch (e) {
    return `Could not turn notifications on: ${e.message}`;
  }
}

// Keeps this browser's push subscription registered with the node while
// the user has notifications on: the one the browser holds now (the push
// service may have rotated it while no page was open), and each one the
// service worker hands over when it rotates (sw.js,
// pushsubscriptionchange). Registering the same subscription again changes
// nothing. A failure is said on the page's console: the user can turn
// notifications on again.
export async function keepSubscription(client, signal) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  const register = (sub) =>
    client.registerDevice("webpush", JSON.stringify(sub)).catch((e) =>
      console.warn(`Could not register this browser for notifications: ${e.message}`));
  navigator.serviceWorker.addEventListener("message", (ev) => {
    const sub = ev.data?.subscription;
    if (sub && typeof sub.endpoint === "string") register(sub);
  }, { signal });
  if (Notification.permission !== "granted") return;
  const registration = await navigator.serviceWorker.getRegistration();
  const sub = await registration?.pushManager.getSubscription();
  if (sub) await register(sub.toJSON());
}

function fromBase64url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a) return false;
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((v, i) => v === b[i]);
}
