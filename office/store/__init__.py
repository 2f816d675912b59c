"""What the push writes besides the envelope itself, and what every reader of it shares.

    filter_row   the report's filter columns (dash_reports): inbox, filters, DARURAT banner
    sealed       notes and GPS points sealed under office-derived keys
    bulk         many rows of one table in one driver executemany (the push's inserts)

The push (office/ingest) writes these; the dashboard only reads them; the derive
consumers (office/derive) compute everything else afterwards.
"""
