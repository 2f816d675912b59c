"""The form ids of the envelopes that are not reports, defined once for both sides of the
wire. A leading "_" marks them: the office's report endpoint refuses them, and the phone
never shows them as reports.

    _review    a village head's signed verdict on a report        phone -> office
    _reply     the author's (or reviewing head's) answer          phone -> office
    _feedback  the office's message about a report                office -> phone
    _alert     the office's warning to a village                  office -> phone
"""
REVIEW_FORM = "_review"
REPLY_FORM = "_reply"
FEEDBACK_FORM = "_feedback"
ALERT_FORM = "_alert"
