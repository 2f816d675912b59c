from typing import Annotated

from fastapi import APIRouter, Query

from sqlalchemy import update

from office import clock, enrollment, inbox as rules
from office.schema import devices
from office.deps import DeviceDep, OfficeDep
from office.models import ErrorBody, InboxPage

router = APIRouter(tags=["inbox"])


@router.get("/inbox", response_model=InboxPage,
            responses={s: {"model": ErrorBody} for s in (401, 403, 422, 429)})
def inbox(device: DeviceDep, office: OfficeDep,
          cursor: Annotated[str | None, Query(max_length=18, pattern=r"^[0-9]*$")] = None,
          limit: Annotated[int, Query(ge=1, le=rules.MAX_LIMIT)] = 100) -> InboxPage:
    """Reviews, feedback and key updates for every person on this phone, after `cursor`;
    each item signed by the office key."""
    with office.engine.begin() as conn:
        enrollment.refresh_head_lists(conn, device["id"])   # a list nearing expiry: a fresh one
        page = rules.page(conn, device["id"], cursor, limit, signing_key=office.keys.ed25519)
        if cursor is None or not page["items"]:      # first or last page of a round: one write per sync
            conn.execute(update(devices).where(devices.c.id == device["id"])
                         .values(last_sync_at=clock.iso(clock.now())))
        return InboxPage(**page)
