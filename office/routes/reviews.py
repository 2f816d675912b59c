import base64
import binascii

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError

from core.errors import BadRequest, EnvelopeError, JagaError
from sync import envelope as env
from office import ingest
from office.deps import DeviceDep, OfficeDep, request_nonce
from office.models import ErrorBody, ReviewRequest, ReviewResult

router = APIRouter(tags=["reviews"])


@router.post("/reviews", response_model=ReviewResult,
             responses={s: {"model": ErrorBody} for s in (401, 403, 404, 409, 422, 429)})
def post_review(req: ReviewRequest, device: DeviceDep, office: OfficeDep, request: Request) -> ReviewResult:
    """A person's signed envelope about a report already held: a village head's verdict
    (form_id '_review') or a reply in the report's conversation ('_reply', from its author or
    the head who reviewed it). Replays return the original receipt."""
    try:
        data = base64.b64decode(req.envelope, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("envelope is not base64") from None
    for attempt in range(2):
        try:
            with office.engine.begin() as conn:
                ingest_one = ingest.ingest_reply if _is_reply(data) else ingest.ingest_review
                return ReviewResult(**ingest_one(conn, data, device_id=device["id"], keys=office.keys))
        except IntegrityError:
            if attempt:
                raise
        except JagaError as exc:
            # Refused for good: the phone closes the verdict or reply only on the office's
            # signed word for these bytes and this device (sync/statement.py, "refusal").
            if 400 <= exc.http_status < 500 and exc.http_status != 429:
                exc.refusal = ingest.signed_refusal(office.keys, exc.code, device["id"], data, _envelope_id(data),
                                                    purpose="review", nonce=request_nonce(request))
            raise


def _envelope_id(data: bytes) -> str | None:
    try:
        return env.peek(data).envelope_id
    except EnvelopeError:
        return None


def _is_reply(data: bytes) -> bool:
    """Replies ride the reviews door (the phone's one queue of person-signed envelopes about a
    report); a header that cannot be read goes to ingest_review, which refuses it typed."""
    try:
        return env.peek(data).form_id == ingest.REPLY_FORM
    except EnvelopeError:
        return False
