from fastapi import APIRouter

from sync.office import clock
from sync.office.deps import OfficeDep
from sync.office.models import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(office: OfficeDep) -> Health:
    """Liveness and the office clock: the phone's connectivity probe."""
    return Health(status="ok", server_time=clock.iso(clock.now()), version=office.version)
