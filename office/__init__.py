"""The immigration office endpoint: FastAPI app, its SQLAlchemy Core store, its keys.
(Nothing is imported here: `from office import clock` must not load the whole app.)

    cli        office / office-admin commands (thin)
    app        create_app(): routers, error handlers, size limit
    routes/    one module per resource (health, enroll, envelopes, attachments, inbox, reviews)
    deps       shared dependencies: DB connection, device auth
    models     pydantic request/response models (the OpenAPI schema)
    schema     tables;  db: engine + programmatic Alembic migrations
    keys       office X25519/Ed25519 keys, encrypted at rest
    enrollment villages, codes, persons, devices, revocation
    ingest     envelopes, receipts, attachments, reviews
    inbox      what each phone receives;  feedback: office -> volunteer
    staff      staff accounts (argon2) for the dashboard
"""
