"""POST /courier: an enrolled phone hands over a courier file it carried for others.

The carrier (say the village head's phone, going to town) authenticates as itself; what it
carries is checked envelope by envelope as the push checks it, each under the phone that
sealed it (office/courier.py), so the carrier can neither open nor pass off anything, and
the office credits every report to its real author. The answer is the receipts file.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from office import courier
from office.deps import DeviceDep, OfficeDep
from office.models import ErrorBody

router = APIRouter(tags=["courier"])
PATH = "/courier"
_BODY = {"requestBody": {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}}


@router.post(PATH, openapi_extra=_BODY, response_class=Response,
             responses={200: {"description": "the receipts file (JSON, sync/courier.py)",
                              "content": {"application/json": {}}},
                        **{s: {"model": ErrorBody} for s in (401, 403, 413, 422)}})
async def carry(request: Request, device: DeviceDep, office: OfficeDep) -> Response:
    """A courier file (sync/courier.py) of envelopes sealed on other phones of this office;
    answered with the receipts file: the signed receipt or refusal of every envelope in it."""
    data = await request.body()
    done = await run_in_threadpool(courier.import_file, office.engine, office.keys, data,
                                   username=f"device:{device['id']}"[:100],
                                   ip=request.client.host if request.client else None)
    return Response(done.receipts, media_type="application/json")
