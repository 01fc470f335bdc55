"""Worker processes that do not outlive the process that started them.

A pool worker blocks on its call queue; when its parent is killed (``kill -9``, the OOM killer) no
EOF ever arrives, because every worker holds the queue's write end too, and the workers (each
holding a warm kernel, ~190 MB) would stay alive for good. :func:`exit_with_parent`, called first
in a worker's initializer, ends the worker as soon as its parent is gone: on Linux the kernel sends
it SIGKILL (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread also polls the parent's pid
once a second (that also covers a worker started from a thread other than the parent's main
thread, for which Linux's death signal follows that thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

__all__ = ["exit_with_parent", "POLL_SECONDS"]

POLL_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


def _death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc/prctl here: the polling thread remains
        pass


def _watch(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_SECONDS):
        if os.getppid() != parent_pid:
            os._exit(1)


def exit_with_parent(parent_pid: int) -> None:
    """End this process (``os._exit``) when the process ``parent_pid`` that started it dies."""
    _death_signal()
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="danvan-exit-with-parent", daemon=True).start()
