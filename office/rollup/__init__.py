"""National roll-up on PostgreSQL logical replication (Kanim -> Kanwil -> Ditjen).

    setup.office_setup   share table + trigger + publication + share DB + regional login
    setup.region_setup   per-office schemas and subscriptions at the region (or national)
    setup.resync         start one office's copy again;   health.check   slots, subscriptions
    cli                  `jaga-desa rollup ...`

PostgreSQL only: an office on the SQLite default simply has no roll-up.
"""
