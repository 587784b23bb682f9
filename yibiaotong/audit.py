"""Who saw unmasked personal data: logged by the domain once per page view, not on every rerun."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from yibiaotong import auth
from yibiaotong.scope import Scope

SEEN_ENTRIES = 50_000  # views remembered per process; an older one would just be logged again

_view: ContextVar[str | None] = ContextVar("yibiaotong_page_view", default=None)
_seen: OrderedDict[tuple, None] = OrderedDict()
_lock = threading.Lock()


@contextmanager
def page_view(token: str | None) -> Iterator[None]:
    """Mark the calls inside as one page view (the console passes the same token on reruns)."""
    reset = _view.set(token)
    try:
        yield
    finally:
        _view.reset(reset)


def viewed(scope: Scope, action: str, key: object, detail: str) -> bool:
    """Log one sensitive view unless this page view logged the same `key` already.

    Outside a page view (command line, tests) every call is logged. True when a row was written.
    """
    view = _view.get()
    if view is not None:
        seen = (scope.username, view, action, key)
        with _lock:
            if seen in _seen:
                return False
            _seen[seen] = None
            while len(_seen) > SEEN_ENTRIES:
                _seen.popitem(last=False)
    auth.record(scope.username, action, detail)
    return True
