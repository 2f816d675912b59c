from fastapi import APIRouter

from sync import statement
from office import clock, enrollment
from office.deps import OfficeDep
from office.keys import b64
from office.models import EnrollRequest, EnrollResponse, ErrorBody, OfficeIdentity

router = APIRouter(tags=["enroll"])


@router.post("/enroll", response_model=EnrollResponse,
             responses={s: {"model": ErrorBody} for s in (401, 403, 404, 409, 410, 422)})
def enroll(req: EnrollRequest, office: OfficeDep) -> EnrollResponse:
    """Redeem a one-time enrollment code; the first person on a phone registers the phone.
    The answer is signed by the office key; the phone checks it against the fingerprint
    from the enrollment code before believing any of it."""
    with office.engine.begin() as conn:   # the answer is built before the commit
        out = enrollment.enroll(conn, **req.model_dump())
        answer = EnrollResponse(**out, x25519_public=req.x25519_public, ed25519_public=req.ed25519_public,
                                office_x25519_public=b64(office.keys.x25519_public),
                                office_ed25519_public=b64(office.keys.ed25519_public),
                                office_key_id=office.keys.key_id,
                                office_fingerprint=office.keys.fingerprint,
                                issued_at=clock.iso(clock.now()))
        fields = answer.model_dump(mode="json", exclude={"signature"})
        answer.signature = statement.sign_answer(fields, office.keys.ed25519)
        return answer


@router.get("/office-identity", response_model=OfficeIdentity)
def office_identity(office: OfficeDep) -> OfficeIdentity:
    """The office's public keys and fingerprint, so a phone can refuse a wrong office before
    it spends a one-time code. Proves nothing by itself: the signed enrollment answer does."""
    return OfficeIdentity(office_x25519_public=b64(office.keys.x25519_public),
                          office_ed25519_public=b64(office.keys.ed25519_public),
                          office_fingerprint=office.keys.fingerprint)
