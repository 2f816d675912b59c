from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

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
    """Append raw bytes at `offset` (= what the office holds). Resumable; sha256 checked at the end."""
    chunk = await request.body()
    out = await run_in_threadpool(ingest.put_chunk_tx, office.engine, envelope_id, att_id.lower(),
                                  offset, chunk, device_id=device["id"], keys=office.keys)
    return AttachmentStatus(**out)


@router.get("/attachments/{envelope_id}/{att_id}", response_model=AttachmentStatus, responses=_errors)
def status(envelope_id: str, att_id: str, device: DeviceDep, office: OfficeDep) -> AttachmentStatus:
    """How many bytes the office holds: where an interrupted upload resumes."""
    with office.engine.begin() as conn:
        return AttachmentStatus(**ingest.attachment_status(conn, envelope_id, att_id.lower(), device["id"]))
