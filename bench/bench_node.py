"""What the benchmark scripts share: a free loopback port, and waiting for a
node to be ready (bench/push_bench.py, bench/cores_bench.py)."""
import socket
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
