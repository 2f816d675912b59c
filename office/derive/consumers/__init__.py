"""Everything derived from a stored report, one module per consumer (the one list, like ODK
Central's jobs.js). Importing this package registers them, in the order a batch runs them:

    search         dashboard search terms (keyed word hashes)        office/dashboard
    early_warning  link keys, rules, signals                        office/warning
    rollup_links   link keys that may leave for the roll-up (PG)     office/rollup
    webhooks       signed signal deliveries to a partner             office/warning/webhook

Village alerts are not derived: staff write them (dashboard, office/warning/alerts.py).
"""
from . import search, early_warning, rollup_links, webhooks  # noqa: F401  (each registers itself)
