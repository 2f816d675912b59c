import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.concurrency import run_in_threadpool

from core.errors import JagaError
from office import ingest
from office.deps import DeviceDep, OfficeDep
from office.models import AttachmentStatus, ErrorBody

router = APIRouter(tags=["attachments"])
_errors = {s: {"model": ErrorBody} for s in (401, 403, 404, 409, 413, 422, 429)}


@router.put("/attachments/{envelope_id}/{att_id}", response_model=AttachmentStatus, responses=_errors,
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def put_chunk(envelope_id: str, att_id: str, request: Request, device: DeviceDep,
                    office: OfficeDep, offset: Annotated[int, Query(ge=0, le=2 ** 53)] = 0) -> AttachmentStatus:
    """Append raw bytes at `offset` (= what the office holds). Resumable; sha256 checked at the end.

    The declared length is checked before the body is read; the body is stored piece by
    piece as it arrives, never held whole. If the link drops mid-chunk, the bytes that did
    arrive are kept: the phone resumes from the last stored byte instead of resending the
    chunk (on 2G every byte costs).
    """
    declared = request.headers.get("content-length")
    up = ingest.Upload(office.engine, envelope_id, att_id.lower()[:32], offset,
                       int(declared) if declared and declared.isascii() and declared.isdigit() else None,
                       device_id=device["id"], keys=office.keys)
    await run_in_threadpool(_sweep, office.engine)
    status = await run_in_threadpool(up.start)
    if status["complete"]:
        return AttachmentStatus(**status)
    try:
        async for part in request.stream():
            if part:
                await run_in_threadpool(up.feed, part)
    except ClientDisconnect:
        try:
            await run_in_threadpool(up.flush)
        except JagaError:
            pass                      # nobody is listening; the next status call tells the phone
        return JSONResponse({"code": "client_disconnected", "message": "connection closed mid-upload"},
                            status_code=400)
    return AttachmentStatus(**await run_in_threadpool(up.end))


_last_sweep = [0.0]


def _sweep(engine) -> None:
    """Expire unfinished uploads, at most once a minute per process (cheap, indexed by state)."""
    if time.monotonic() - _last_sweep[0] < 60:
        return
    _last_sweep[0] = time.monotonic()
    with engine.begin() as conn:
        ingest.expire_uploads(conn)


@router.get("/attachments/{envelope_id}/{att_id}", response_model=AttachmentStatus, responses=_errors)
def status(envelope_id: str, att_id: str, device: DeviceDep, office: OfficeDep) -> AttachmentStatus:
    """How many bytes the office holds: where an interrupted upload resumes."""
    with office.engine.begin() as conn:
        return AttachmentStatus(**ingest.attachment_status(conn, envelope_id, att_id.lower(), device["id"]))
