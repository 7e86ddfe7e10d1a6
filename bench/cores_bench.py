#!/usr/bin/env python3
"""Whether the node uses the cores it is given (issue 16).

Runs the closed-loop `switchboard-bench direct` against a node pinned with
taskset to each CPU list in turn (default "0" and "0,1"), interleaved, and
prints messages/s, the node's CPU per message and p99 per run. The harness
is not pinned: on a 2-core machine it shares the cores with the node, so the
two-core figure is the node's and the harness's together.

  bench/cores_bench.py --runs 3 --duration 10 --cpus 0 --cpus 0,1
"""
import argparse
import json
import os
import subprocess

from bench_node import add_binary_args, cpu_us_per_message, node

SECRET = "cores-bench-secret-0123456789abcdef"


def run(args, cpus):
    with node(args.bin, SECRET, args.node_arg, "cores-bench-",
              ["taskset", "-c", cpus]) as (proc, port, data):
        out = os.path.join(data, "bench.json")
        subprocess.run([args.bench, "direct", "--port", str(port),
                        "--jwt-secret", SECRET, "--connections",
                        str(args.connections), "--window", str(args.window),
                        "--duration", str(args.duration), "--node-pid",
                        str(proc.pid), "--json", out, "--quiet"], check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            r = json.load(f)
        return {"per_s": r["acked_per_s"],
                "p99": r["send_to_received"]["p99_ms"],
                "cpu_us": cpu_us_per_message(r, args.duration)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_binary_args(p)
    p.add_argument("--cpus", action="append")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--window", type=int, default=16)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--node-arg", action="append", default=[],
                   help="one more argument for the node, e.g. "
                   "--node-arg=--scheduler-threads --node-arg=2")
    args = p.parse_args()
    cpus = args.cpus or ["0", "0,1"]
    print("| run | node CPUs | msgs/s | p99 ms | node CPU us/msg |")
    print("|---|---|---:|---:|---:|")
    for i in range(args.runs):
        for c in cpus:
            r = run(args, c)
            print(f"| {i + 1} | {c} | {r['per_s']:.0f} | {r['p99']:.2f} "
                  f"| {r['cpu_us']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
