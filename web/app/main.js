// The page's entry: sign-in (dev login or a pasted token), then the chat.
import { devLogin } from "../lib/switchboard.js";
import { $ } from "./dom.js";
import { ChatView, OPEN_KEY } from "./chat.js";

const SESSION_KEY = "switchboard.session";
let chat = null;

// A notification clicked with no page open opens /?conv=ID (sw.js).
const opened = new URLSearchParams(location.search).get("conv");
if (opened) {
  sessionStorage.setItem(OPEN_KEY, opened);
  history.replaceState(null, "", "/");
}

function showSignIn(message = "") {
  chat?.stop();
  chat = null;
  sessionStorage.removeItem(SESSION_KEY);
  $("chat").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("dev-user").focus();
}

function startChat(token) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token }));
  $("signin").hidden = true;
  $("chat").hidden = false;
  $("signin-error").textContent = "";
  chat = new ChatView(token, { onUnauthorized: showSignIn });
}

$("dev-login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const user = $("dev-user").value.trim();
  $("signin-error").textContent = "";
  try {
    const { token } = await devLogin(location.origin, user);
    startChat(token);
  } catch (e) {
    $("signin-error").textContent = `Sign-in refused: ${e.message}`;
  }
});

$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = $("token-input").value.trim();
  $("token-input").value = "";
  startChat(token);
});

$("sign-out").addEventListener("click", () => showSignIn());

const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null");
if (saved?.token) startChat(saved.token);
else showSignIn();
