#!/usr/bin/env python3
"""A channel beside a group of the same online size (issue 16).

Runs `switchboard-bench channel` twice per round, interleaved, each on a node
of its own (--spawn): a channel of --members members of whom --online are
connected, and a group of just the --online members (the node's
--fanout-threshold raised above it, so that it fans out to every member, as
a group does). Both have the same connections and the same load; what the
offline members cost the channel is the difference. Prints deliveries/s,
p50/p99 send -> received and the node's CPU per delivery and per message.

  bench/channel_bench.py --runs 3 --members 10000 --online 1000 --senders 20
"""
import argparse
import json
import os
import subprocess
import tempfile

from bench_node import add_binary_args, cpu_us_per_message


def run(args, kind):
    members = args.members if kind == "channel" else args.online
    cmd = [args.bench, "channel", "--spawn", "--switchboard", args.bin,
           "--members", str(members), "--online", str(args.online),
           "--senders", str(args.senders), "--duration", str(args.duration),
           "--quiet"]
    if args.rate > 0:
        cmd += ["--rate", str(args.rate)]
    else:
        cmd += ["--window", str(args.window)]
    if kind == "group":
        cmd += ["--node-arg", "--fanout-threshold",
                "--node-arg", str(args.online + 1)]
    with tempfile.TemporaryDirectory(prefix="channel-bench-") as d:
        out = os.path.join(d, "bench.json")
        subprocess.run(cmd + ["--json", out], check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            r = json.load(f)
    if r["violations"]:
        raise SystemExit(f"{kind}: correctness violations: "
                         f"{r['violation_samples']}")
    cpu = r.get("node_cpu_s", -1)
    delivered = r["deliveries_per_s"] * r["seconds"]
    return {"members": members,
            "msgs": r["acked_per_s"], "deliveries": r["deliveries_per_s"],
            "p50": r["send_to_received"]["p50_ms"],
            "p99": r["send_to_received"]["p99_ms"],
            "us_delivery": cpu * 1e6 / delivered if delivered else -1,
            "us_msg": cpu_us_per_message(r, r["seconds"])}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_binary_args(p)
    p.add_argument("--members", type=int, default=10000)
    p.add_argument("--online", type=int, default=1000)
    p.add_argument("--senders", type=int, default=20)
    p.add_argument("--rate", type=float, default=0,
                   help="open loop: messages/s in total (0: closed loop)")
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    print("| run | kind | members | msgs/s | deliveries/s | p50 ms | p99 ms "
          "| node CPU us/delivery | us/msg |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for i in range(args.runs):
        for kind in ("channel", "group"):
            r = run(args, kind)
            print(f"| {i + 1} | {kind} | {r['members']} | {r['msgs']:.0f} "
                  f"| {r['deliveries']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} "
                  f"| {r['us_delivery']:.2f} | {r['us_msg']:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
