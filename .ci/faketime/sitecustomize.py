"""Imported at start-up by the Python processes of .ci/test-dates only (it puts this folder on
PYTHONPATH): a stand-in for time.sleep() while libfaketime 0.9.10 runs with
FAKETIME_DONT_FAKE_MONOTONIC=1.

Python's time.sleep() waits with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline).
libfaketime 0.9.10 (Debian bookworm) rewrites that deadline as if the monotonic clock were
faked even when it is not, which makes it negative: every time.sleep() then raises
"OSError: [Errno 22] Invalid argument" (subprocess.run(timeout=...) sleeps in its wait loop,
for one). Fixed upstream after 0.9.10. This sleep waits with a relative select() timeout
instead, which libfaketime passes through untouched. Nothing else is changed.
"""

from __future__ import annotations

import os
import select
import time

if (
    "faketime" in os.environ.get("LD_PRELOAD", "")
    and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1"
):

    def _sleep(secs: float, /) -> None:
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + secs
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
