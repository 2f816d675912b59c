"""Everything derived from a stored report: one module per consumer, listed here once (like
ODK Central's jobs.js), in the order a batch runs them. The push reads only the names (it
queues a job per name and imports no consumer); the worker imports the modules, each of
which registers itself (office/derive/registry.py).

    search         dashboard search terms (keyed word hashes)        office/dashboard
    early_warning  link keys, rules, signals                        office/warning
    rollup_links   link keys that may leave for the roll-up (PG)     office/rollup
    webhooks       signed signal deliveries to a partner             office/warning/webhook

Village alerts are not derived: staff write them (dashboard, office/warning/alerts.py).
"""
MODULES = {name: f"{__name__}.{name}" for name in ("search", "early_warning", "rollup_links", "webhooks")}
