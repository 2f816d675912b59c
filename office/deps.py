"""Shared route dependencies: the office state, device authentication."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from core.errors import Revoked
from sync import statement
from office import db
from office.enrollment import device_for_token
from office.ingest.common import signed_refusal
from office.keys import OfficeKeys
from office.phone_limits import PhoneLimits


@dataclass
class Office:
    engine: Engine
    keys: OfficeKeys
    version: str
    limits: PhoneLimits = field(default_factory=PhoneLimits)


def office(request: Request) -> Office:
    return request.app.state.office


_bearer = HTTPBearer(auto_error=False, description="the device sync token from enrollment")


def device(request: Request,
           creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> dict:
    """The calling phone (401 unknown token, 403 revoked). A revoked phone's refusal is signed
    for its device id: the phone marks itself revoked only on that (sync/statement.py)."""
    office_ = request.app.state.office
    try:
        # A read (deferred BEGIN on SQLite): every phone request passes here, and taking the
        # store's single writer only to look a token up queued each push and inbox page
        # behind the derive worker's write transaction (most of a push's wall time).
        with db.reading(office_.engine) as conn:
            return device_for_token(conn, creds.credentials if creds else None)
    except Revoked as exc:
        exc.refusal = signed_refusal(office_.keys, exc.code, getattr(exc, "device_id", ""),
                                     purpose="device", nonce=request_nonce(request))
        raise


def request_nonce(request: Request) -> str | None:
    """The nonce the phone chose for this request (sync/statement.py), or None: a refusal is
    signed only in answer to a request that carried one."""
    return statement.valid_nonce(request.headers.get(statement.NONCE_HEADER))


OfficeDep = Annotated[Office, Depends(office)]
DeviceDep = Annotated[dict, Depends(device)]
