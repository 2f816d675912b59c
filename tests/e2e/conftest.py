"""Fixtures for the browser tests (helpers live in helpers.py): an app-server factory
and one headless Chromium per test module."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import AppServer


@pytest.fixture
def start_app(tmp_path):
    servers: list[AppServer] = []

    def start(data: Path | None = None, env: dict | None = None) -> AppServer:
        srv = AppServer(data or tmp_path / f"device-{len(servers)}", env)
        servers.append(srv)
        return srv
    yield start
    for s in servers:
        s.stop()
    for s in servers:      # a handler that failed was shown as a message; still a bug
        assert "UI handler failed" not in s.log_text(), s.log_text()[-3000:]

