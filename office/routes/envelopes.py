import base64
import binascii

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from core.errors import TooLarge
from sync import receipt as rc
from office import ingest
from office.deps import DeviceDep, OfficeDep, request_nonce
from office.models import BatchResult, EnvelopeBatch, ErrorBody, ReceiptWire

router = APIRouter(tags=["envelopes"])
MAX_BATCH = 500


@router.post("/envelopes", response_model=BatchResult, response_model_exclude_unset=True,
             responses={s: {"model": ErrorBody} for s in (401, 403, 413, 422, 429)})
def push(batch: EnvelopeBatch, device: DeviceDep, office: OfficeDep, request: Request) -> JSONResponse:
    """A batch of sealed envelopes; one result per item.

    Each item is stored whole or not at all (every check runs before any write); the batch
    is committed once, before any receipt leaves, so a receipt always names a durable row.
    A crash mid-batch loses only items whose receipts were never sent — the phone resends.

    The answer is the `BatchResult` the schema documents, written straight from the results
    ingest built (exactly the fields each result has, as `response_model_exclude_unset`
    would give): building the model and having FastAPI validate and dump it again cost more
    per report than storing it (tests/office/test_push_answer.py holds the two equal).
    """
    if len(batch.envelopes) > MAX_BATCH:
        raise TooLarge(f"at most {MAX_BATCH} envelopes per batch")
    datas: list[bytes | None] = []
    for item in batch.envelopes:
        try:
            datas.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError):
            datas.append(None)
    good = [d for d in datas if d is not None]
    nonce = request_nonce(request)      # refusals answer this push only (sync/statement.py)
    it = iter(ingest.store_batch(office.engine, office.keys, good, device["id"], nonce=nonce,
                                 quota=office.limits.bytes_per_day,
                                 backlog=office.limits.derive_backlog))
    results = [next(it) if d is not None else {"envelope_id": None, "status": "rejected",
                                                "code": "bad_base64", "reason": "item is not base64"}
               for d in datas]
    results, shared = rc.compact_batch(results)     # the batch's root and signature travel once
    return JSONResponse(answer(results, shared))


def answer(results: list[dict], shared: dict | None) -> dict:
    """A push's answer as JSON values: BatchResult(results=..., batch=...) dumped with
    exclude_unset, without building it."""
    return {"results": results, "batch": shared}


@router.get("/receipts/{envelope_id}", response_model=ReceiptWire,
            responses={s: {"model": ErrorBody} for s in (401, 403, 404, 429)})
def get_receipt(envelope_id: str, device: DeviceDep, office: OfficeDep) -> ReceiptWire:
    """The current signed receipt (complete once every attachment is stored)."""
    with office.engine.begin() as conn:
        return ReceiptWire(**ingest.receipt_for(conn, envelope_id, device["id"], office.keys))
