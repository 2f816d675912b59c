"""The dashboard's HTML pages, one module per area; importing this package registers them
on `web.router` (and in `web.ACCESS`) in a fixed order."""
from . import account, inbox, report, admin, handover, signals, alerts  # noqa: F401  (order = route registration order)
