"""A staff member signed in to the real dashboard, as a browser would: fetch the login page
for its CSRF token, post the form, keep the session cookie. One copy for the tests and the
benchmarks (the login form's fields change in one place)."""
from __future__ import annotations

import re

import requests

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a dashboard page carries in its forms (one per session)."""
    match = CSRF_RE.search(html)
    if match is None:
        raise AssertionError(f"no CSRF token in the page: {html[:300]}")
    return match.group(1)


def sign_in(url: str, username: str, password: str, session: requests.Session | None = None,
            *, timeout: float = 60) -> requests.Session:
    """A session signed in as `username` at the office `url`; AssertionError if refused."""
    s = session or requests.Session()
    page = s.get(url + "/dashboard/login", timeout=timeout)
    r = s.post(url + "/dashboard/login", allow_redirects=False, timeout=timeout,
               data={"csrf": csrf_of(page.text), "username": username, "password": password,
                     "next": "/dashboard/"})
    if r.status_code != 303:
        raise AssertionError(f"sign-in as {username} refused: {r.status_code} {r.text[:300]}")
    return s
