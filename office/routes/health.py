from fastapi import APIRouter

from office import clock
from office.deps import OfficeDep
from office.models import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(office: OfficeDep) -> Health:
    """Liveness and the office clock: the phone's connectivity probe."""
    return Health(status="ok", server_time=clock.iso(clock.now()), version=office.version)
