"""Shared route dependencies: the office state, device authentication."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from core.errors import Revoked
from sync import statement
from office import clock
from office.enrollment import device_for_token
from office.keys import OfficeKeys


@dataclass
class Office:
    engine: Engine
    keys: OfficeKeys
    version: str


def office(request: Request) -> Office:
    return request.app.state.office


_bearer = HTTPBearer(auto_error=False, description="the device sync token from enrollment")


def device(request: Request,
           creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> dict:
    """The calling phone (401 unknown token, 403 revoked). A revoked phone's refusal is signed
    for its device id: the phone marks itself revoked only on that (sync/statement.py)."""
    office_ = request.app.state.office
    try:
        with office_.engine.begin() as conn:
            return device_for_token(conn, creds.credentials if creds else None)
    except Revoked as exc:
        exc.refusal = statement.sign_refusal(office_.keys.ed25519, code=exc.code, device_id=getattr(exc, "device_id", ""),
                                             refused_at=clock.iso(clock.now()))
        raise


OfficeDep = Annotated[Office, Depends(office)]
DeviceDep = Annotated[dict, Depends(device)]
