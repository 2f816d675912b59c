from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.concurrency import run_in_threadpool

from core.errors import JagaError
from sync.office import ingest
from sync.office.deps import DeviceDep, OfficeDep
from sync.office.models import AttachmentStatus, ErrorBody

router = APIRouter(tags=["attachments"])
_errors = {s: {"model": ErrorBody} for s in (401, 403, 404, 409, 413, 422)}


@router.put("/attachments/{envelope_id}/{att_id}", response_model=AttachmentStatus, responses=_errors,
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def put_chunk(envelope_id: str, att_id: str, request: Request, device: DeviceDep,
                    office: OfficeDep, offset: Annotated[int, Query(ge=0)] = 0) -> AttachmentStatus:
    """Append raw bytes at `offset` (= what the office holds). Resumable; sha256 checked at the end.

    If the link drops mid-chunk, the bytes that did arrive are kept: the phone resumes from
    the last stored byte instead of resending the chunk (on 2G every byte costs).
    """
    chunk = bytearray()
    try:
        async for part in request.stream():
            chunk += part
    except ClientDisconnect:
        if chunk:
            try:
                await run_in_threadpool(ingest.put_chunk_tx, office.engine, envelope_id, att_id.lower(),
                                        offset, bytes(chunk), device_id=device["id"], keys=office.keys)
            except JagaError:
                pass                      # nobody is listening; the next status call tells the phone
        return JSONResponse({"code": "client_disconnected", "message": "connection closed mid-upload"},
                            status_code=400)
    out = await run_in_threadpool(ingest.put_chunk_tx, office.engine, envelope_id, att_id.lower(),
                                  offset, bytes(chunk), device_id=device["id"], keys=office.keys)
    return AttachmentStatus(**out)


@router.get("/attachments/{envelope_id}/{att_id}", response_model=AttachmentStatus, responses=_errors)
def status(envelope_id: str, att_id: str, device: DeviceDep, office: OfficeDep) -> AttachmentStatus:
    """How many bytes the office holds: where an interrupted upload resumes."""
    with office.engine.begin() as conn:
        return AttachmentStatus(**ingest.attachment_status(conn, envelope_id, att_id.lower(), device["id"]))
