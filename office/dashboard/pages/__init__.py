"""The dashboard's HTML pages, one module per area; importing this package registers them
on `web.router` (and in `web.ACCESS`) in a fixed order."""
from . import account, inbox, report, admin, handover  # noqa: F401  (order = route registration order)
from . import emergency  # noqa: F401,E402  (issue 15: DARURAT acknowledgement)
from . import signals, alerts  # noqa: F401,E402  (issue 13: early-warning signals, alerts to villages)
from . import courier  # noqa: F401,E402  (issue 26: courier files from villages without signal)
from . import derive  # noqa: F401,E402  (issue 20: the derive queue's health)
