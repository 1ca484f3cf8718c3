"""Is a download host reachable? A quick probe, so that an offline lesson does not hang.

An answer is kept for `PROBE_TTL` seconds, so a lesson that loads a train and a test split
probes once; after that the host is asked again, so a kernel that was offline once does not
stay offline for its lifetime.
"""

from __future__ import annotations

import socket
import threading
import time

PROBE_HOSTS = {"MNIST": "ossci-datasets.s3.amazonaws.com",
               "FashionMNIST": "fashion-mnist.s3-website.eu-central-1.amazonaws.com",
               "CIFAR10": "www.cs.toronto.edu"}
PROBE_TTL = 60.0  # seconds an answer is trusted

_clock = time.monotonic  # the clock the cache reads (a test replaces it by a fake one)
# (host, timeout) -> (when it was asked, its answer)
_answers: dict[tuple[str, float], tuple[float, str | None]] = {}


def reachable(host: str, timeout: float = 3.0) -> str | None:
    """None if a TCP connection to host:443 opens within `timeout` s, else the reason why not.

    The answer is reused for `PROBE_TTL` seconds, then the host is probed again.
    """
    key, now = (host, timeout), _clock()
    if key in _answers and now - _answers[key][0] < PROBE_TTL:
        return _answers[key][1]
    answer = probe(host, timeout)
    _answers[key] = (now, answer)
    return answer


def probe(host: str, timeout: float = 3.0) -> str | None:
    """One probe, never cached: runs in a daemon thread, so that a hanging name lookup cannot
    stall a lesson offline (it gives up after `timeout` + 0.5 s)."""
    result: list[str | None] = []

    def connect():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(None)
        except OSError as err:
            result.append(f"{type(err).__name__}: {err}")

    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0] if result else f"no answer from {host} within {timeout:.0f} s"
