// A real `switchboard serve` process for the JavaScript tests: a temporary
// data directory, a known token secret, a free loopback port (kept across
// restarts so that clients can reconnect to the same address).
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SECRET = "switchboard-web-test-secret-0123456789abcdef";
const BIN = process.env.SB_BIN;
if (!BIN) throw new Error("set SB_BIN to the switchboard binary");

// The node refuses unknown SWITCHBOARD_* variables; it gets none but ours.
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("SWITCHBOARD_")),
);

const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function b64url(x) {
  return Buffer.from(x).toString("base64url");
}

// An HS256 token for `user`, signed with the nodes' test secret.
export function token(user, ttlS = 3600, secret = SECRET) {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const now = Math.floor(Date.now() / 1000);
  const body = b64url(JSON.stringify({ sub: user, iat: now, exp: now + ttlS }));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

// Resolves when `cond()` is true; rejects after `ms` with `what`.
export async function waitFor(cond, what, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class NodeProcess {
  constructor(args = []) {
    this.args = args;
    this.dir = mkdtempSync(join(tmpdir(), "sb-web-"));
    this.port = 0;
    this.child = null;
    this.log = "";
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  // Starts the node and resolves once it listens.
  async start() {
    const args = [
      "serve",
      "--listen", `127.0.0.1:${this.port}`,
      "--admin-listen", "127.0.0.1:0",
      "--data-dir", this.dir,
      ...this.args,
    ];
    const child = spawn(BIN, args, {
      env: { ...baseEnv, SWITCHBOARD_JWT_SECRET: SECRET },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    running.add(child);
    child.on("exit", () => running.delete(child));
    await new Promise((resolve, reject) => {
      let buf = "";
      child.stderr.on("data", (d) => {
        buf += d.toString();
        this.log += d.toString();
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            const o = JSON.parse(line);
            if (o.event === "listening") {
              this.port = Number(o.addr.split(":").pop());
              resolve();
            }
          } catch {
            // not a log line
          }
        }
      });
      child.on("exit", (code) => reject(new Error(`node exited (${code}): ${this.log}`)));
    });
    return this;
  }

  // SIGKILL: no drain, no clean close.
  async kill() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }

  async stop() {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
