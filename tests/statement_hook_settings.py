"""The demo's settings plus a test-only hook, for the crash test of ``test_reliability``: with
``MENTARA_TEST_STATEMENT_LOG`` set, every statement sent through Django is appended to that file
(a line each, its start); with ``MENTARA_TEST_KILL_AT_STATEMENT=N``, the process SIGKILLs itself
just before its N-th statement. A kill at a known statement lands at the same point of the run
on a loaded machine as on a quiet one, where a kill after a delay may come after the run has
finished."""

import os
import signal
from typing import Any

from django.db.backends.signals import connection_created

from project.settings import *  # noqa: F403  (the demo's settings, unchanged)

_KILL_AT = int(os.environ.get("MENTARA_TEST_KILL_AT_STATEMENT", "0"))
_LOG = os.environ.get("MENTARA_TEST_STATEMENT_LOG")
_seen = [0]


def _count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    _seen[0] += 1
    if _seen[0] == _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
    if _LOG:
        with open(_LOG, "a") as log:
            log.write(" ".join(sql.split())[:80] + "\n")
    return execute(sql, params, many, context)


def _install(sender: Any, connection: Any, **kwargs: Any) -> None:
    connection.execute_wrappers.insert(0, _count)


connection_created.connect(_install, weak=False)
