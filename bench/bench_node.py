"""What the benchmark scripts share (bench/push_bench.py, bench/cores_bench.py):
a free loopback port, a node of their own that is ready, and its CPU per
message."""
import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(port, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)  # polling the node's readiness, with a deadline
    raise RuntimeError("the node did not become ready")


# What a benchmark's node needs raised: a load generator is not a flood.
RAISED = ["--send-rate", "100000000", "--send-burst", "100000000",
          "--max-queue", "1000000", "--max-connections-per-address", "0",
          "--rate-cursor", "100000000/100000000"]


@contextlib.contextmanager
def node(binary, secret, args=(), prefix="bench-", wrapper=()):
    """A node of its own on a temporary data directory, with RAISED limits
    and `args`, started with `wrapper` in front (taskset ...); yields
    (process, port, data directory), and stops and removes it after."""
    data = tempfile.mkdtemp(prefix=prefix)
    port, admin = free_port(), free_port()
    cmd = list(wrapper) + [binary, "serve", "--listen", f"127.0.0.1:{port}",
                           "--data-dir", data, "--admin-listen",
                           f"127.0.0.1:{admin}", "--jwt-secret", secret
                           ] + RAISED + list(args)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        yield proc, port, data
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def add_binary_args(parser):
    """The node and harness binaries every bench script runs."""
    parser.add_argument("--bin", default="build/app/switchboard")
    parser.add_argument("--bench", default="build/bench/switchboard-bench")


def cpu_us_per_message(r, duration):
    """The node's CPU per acknowledged message of a switchboard-bench JSON
    report, in microseconds."""
    return r.get("node_cpu_s", 0) * 1e6 / max(1, r["acked_per_s"] * duration)
