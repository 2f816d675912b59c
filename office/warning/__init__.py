"""Early warning (deteksi dini): link keys, rules and signals across villages and weeks.

    ids = warning.observe(conn, keys, [warning.Report(...)], config)   # at ingest
    warning.RULES, warning.explain(rule, detail, lang)                   # for analysts

A signal is a lead, never an accusation. The office DB gains no identifier in the clear:
see linkkeys.py for how identifiers are keyed and names compared.
"""
from .config import WarningConfig, current as current_config, set_current as set_config
from .engine import Report, observe
from .rules import LEAD_NOT_ACCUSATION, RULES, explain, title

__all__ = ["WarningConfig", "current_config", "set_config", "Report", "observe", "RULES", "explain", "title", "LEAD_NOT_ACCUSATION"]
