#!/usr/bin/env python3
"""What push notifications cost message delivery (docs/push.md, issue 15).

Runs `switchboard-bench group` open loop against a node of its own, with
and without pushes, interleaved: with them, every user has a device of a
local fake Matrix push gateway (switchboard-fake-gateway, which answers
200 at once on one thread, cheap next to the node; --python-gateway: one
in this script, as the first measurements had) and the grace is 0. The group scenario's members do not ack, so each message
is a push to each member but its sender (4 per message in groups of 5).
Prints, per run, the pushes the gateway took per second, the latency of
send -> received and the node's CPU per message, and the median p99 ratio
with/without.

  bench/push_bench.py --bin build/app/switchboard \\
      --bench build/bench/switchboard-bench \\
      --gateway build/bench/switchboard-fake-gateway --rate 250 --runs 3
"""
import argparse
import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.request

from bench_node import add_binary_args, cpu_us_per_message, free_port, node

SECRET = "push-bench-secret-0123456789abcdef"


class Gateway(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    external = False  # switchboard-fake-gateway answers instead
    lock = threading.Lock()

    def setup(self):
        super().setup()
        # Headers and body are two writes: without this, Nagle's algorithm
        # and the client's delayed ack hold each answer 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Gateway.lock:
            Gateway.count += 1
        body = b'{"rejected":[]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def token(binary, user):
    return subprocess.run([binary, "token", user, "--jwt-secret", SECRET],
                          check=True, capture_output=True,
                          text=True).stdout.strip()


def gateway_count(port):
    """Pushes the gateway has answered."""
    if Gateway.external:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/count") as r:
            return int(r.read())
    return Gateway.count


def run(args, push, gw_port):
    extra = ["--heartbeat-s", "60", "--rate-devices", "100000000/100000000"]
    if push:
        extra += ["--push-grace-ms", "0", "--push-gateway-url",
                  f"http://127.0.0.1:{gw_port}", "--push-gateway-app-id",
                  "bench"]
    with node(args.bin, SECRET, extra, "push-bench-") as (proc, port, data):
        # The same devices in both runs: only whether pushes go differs.
        for i in range(args.connections):
            user = f"bench-{i}"
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/devices", method="POST",
                data=json.dumps({"platform": "gateway",
                                 "token": "pk-" + user}).encode(),
                headers={"Authorization": "Bearer " + token(args.bin, user),
                         "Content-Type": "application/json"})
            urllib.request.urlopen(req).close()
        out = os.path.join(data, "bench.json")
        before = gateway_count(gw_port)
        subprocess.run([args.bench, "group", "--group-size",
                        str(args.group_size), "--port", str(port),
                        "--jwt-secret", SECRET, "--rate", str(args.rate),
                        "--connections", str(args.connections), "--duration",
                        str(args.duration), "--node-pid", str(proc.pid),
                        "--json", out, "--quiet"], check=True,
                       stdout=subprocess.DEVNULL)
        pushes = gateway_count(gw_port) - before
        with open(out) as f:
            r = json.load(f)
        return {"pushes_per_s": pushes / args.duration,
                "p50": r["send_to_received"]["p50_ms"],
                "p99": r["send_to_received"]["p99_ms"],
                "cpu_us": cpu_us_per_message(r, args.duration)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_binary_args(p)
    p.add_argument("--rate", type=int, default=250)
    p.add_argument("--group-size", type=int, default=5)
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--gateway", default="build/bench/switchboard-fake-gateway")
    p.add_argument("--python-gateway", action="store_true",
                   help="the gateway in this script (Python) instead")
    args = p.parse_args()
    gw_port = free_port()
    server, fake = None, None
    if args.python_gateway:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", gw_port),
                                                 Gateway)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    else:
        Gateway.external = True
        fake = subprocess.Popen([args.gateway, str(gw_port)])
        end = time.time() + 10
        while True:
            try:
                gateway_count(gw_port)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.05)  # polling the gateway's port, with a deadline
    print("| run | pushes | pushes/s | p50 ms | p99 ms | node CPU us/msg |")
    print("|---|---|---:|---:|---:|---:|")
    p99 = {False: [], True: []}
    for i in range(args.runs):
        for push in (False, True):
            r = run(args, push, gw_port)
            p99[push].append(r["p99"])
            print(f"| {i + 1} | {'on' if push else 'off'} | "
                  f"{r['pushes_per_s']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} "
                  f"| {r['cpu_us']:.0f} |", flush=True)
    on, off = sorted(p99[True]), sorted(p99[False])
    print(f"\nmedian p99 with pushes / without: "
          f"{on[len(on) // 2] / off[len(off) // 2]:.2f}")
    if server:
        server.shutdown()
    if fake:
        fake.terminate()
        fake.wait(timeout=10)


if __name__ == "__main__":
    main()
