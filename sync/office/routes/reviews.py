import base64
import binascii

from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError

from core.errors import BadRequest
from sync.office import ingest
from sync.office.deps import DeviceDep, OfficeDep
from sync.office.models import ErrorBody, ReviewRequest, ReviewResult

router = APIRouter(tags=["reviews"])


@router.post("/reviews", response_model=ReviewResult,
             responses={s: {"model": ErrorBody} for s in (401, 403, 404, 409, 422)})
def post_review(req: ReviewRequest, device: DeviceDep, office: OfficeDep) -> ReviewResult:
    """A village head's signed verdict (itself a sealed envelope); replays return the original receipt."""
    try:
        data = base64.b64decode(req.envelope, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("envelope is not base64") from None
    for attempt in range(2):
        try:
            with office.engine.begin() as conn:
                return ReviewResult(**ingest.ingest_review(conn, data, device_id=device["id"],
                                                           keys=office.keys))
        except IntegrityError:
            if attempt:
                raise
