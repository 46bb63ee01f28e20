"""Ctrl-C that Python swallowed is still honoured before anything is committed.

A KeyboardInterrupt raised while Python runs a callback it cannot propagate from (a weakref
callback of the import system, a __del__) is printed as "Exception ignored" and lost, and the
run would go on to commit. The handler also remembers the interrupt, and the service checks
that before it commits.
"""

from __future__ import annotations

import signal
import threading

requested = threading.Event()


def install() -> None:
    """Called by the console entry point (main thread); leaves an ignored SIGINT ignored."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return

    def on_interrupt(signum, frame):
        requested.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed, even if it was swallowed meanwhile."""
    if requested.is_set():
        raise KeyboardInterrupt
