"""Sphinx extension: the website build reads each kernel reply within a second.

nbclient waits for a cell's reply in one poll of its socket, as long as the cell's timeout
(180 s in `_config.yml`). When the socket's wake-up is lost, a reply that has arrived is read
only when that poll times out: the notebook then takes 180 s more and the build passes, slower
by the timeout. In CI on this 2-core machine "Optimizers" took 197 s in one build and 201 s
in another, 15 to 19 s on its own: the cell's 180 s plus its usual time, which is what a lost
wake-up gives (the cause is inferred from that sum, not traced; `.ci/benchmark.py` once saw
one of its cells wait its whole 600 s timeout for a reply the kernel had sent). Polling in
one-second slices (`sliced`) reads such a reply within a second; a reply that is really late
still times out at the cell's timeout.

`setup` makes every `nbclient.NotebookClient` poll that way (MyST-NB executes through
jupyter-cache, which builds its own client, so there is no client to subclass);
`.ci/benchmark.py` uses `sliced` for its client.
"""

from __future__ import annotations

import queue
import time

import nbclient

__all__ = ["setup", "sliced"]


def sliced(get_msg, slice_s: float = 1.0):
    """`get_msg(timeout=...)` of a kernel client's channel, polled in `slice_s`-second slices
    until `timeout` (None: forever), raising `queue.Empty` only when `timeout` has passed."""
    async def get(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_s if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await get_msg(timeout=min(slice_s, left))
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
    return get


_start = nbclient.NotebookClient.async_start_new_kernel_client


async def _start_with_sliced_polls(self):
    kc = await _start(self)
    for channel in (kc.shell_channel, kc.iopub_channel):
        channel.get_msg = sliced(channel.get_msg)
    return kc


def setup(app):
    nbclient.NotebookClient.async_start_new_kernel_client = _start_with_sliced_polls
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
