"""fieldapp.ui.shell: a handler that fails because the browser tab went away is not an app
error (no "UI handler failed" in the log, no message sent to a closed connection); any other
failure still is. The closed connection is Flet's own web connection, not a stand-in."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flet.messaging.protocol import Message, MessageAction
from flet_web.fastapi.flet_app import FletApp

from fieldapp.ui import shell


def _closed_connection_error() -> Exception:
    app = object.__new__(FletApp)                 # a connection after its tab disconnected:
    app._FletApp__send_queue = None               # flet_web drops the send queue on disconnect
    try:
        app.send_message(Message(MessageAction.PATCH_CONTROL, {"id": 1}))
    except Exception as exc:                      # noqa: BLE001 — whatever Flet raises
        return exc
    raise AssertionError("sending on a closed Flet connection did not raise")


def test_a_closed_tab_is_not_an_app_error(caplog):
    exc = _closed_connection_error()
    toasts = []
    fake = SimpleNamespace(toast=lambda *a, **k: toasts.append(a))
    with caplog.at_level("INFO", logger="jaga.ui"):
        shell.App._crash(fake, exc)
    assert "UI handler failed" not in caplog.text and "session closed" in caplog.text
    assert toasts == []


def test_an_app_error_is_still_reported(caplog):
    try:
        None.put_nowait(b"")                      # the same exception type, raised by app code
    except AttributeError as exc:
        err = exc
    toasts = []
    fake = SimpleNamespace(toast=lambda *a, **k: toasts.append(a), lang="id",
                           t=lambda key, **kw: f"{key}: {kw}")
    with caplog.at_level("INFO", logger="jaga.ui"):
        shell.App._crash(fake, err)
    assert "UI handler failed" in caplog.text and len(toasts) == 1


@pytest.mark.parametrize("exc", [ValueError("x"), KeyError("y")])
def test_other_exception_types_are_never_taken_for_a_closed_tab(exc):
    assert not shell._tab_gone(exc)
