"""`rollup office-setup`, `rollup region-setup`, `rollup resync`: build and repair the chain.

    office DB ──(publication: column list + WHERE office_code = own AND NOT rahasia)──►
    share DB (same cluster, own subscription) ──(insert/update/delete only)──►
    region DB: one schema per office, CHECK office_code, subscription with disable_on_error,
               owned by the office's own role (writes that office's tables only)
    (──► national: the region publishes the same tables onward, same recipe)

The row filter is not a security boundary (a REPLICATION login on the office DB could
decode every change itself), so the regional login reaches only the share DB: CONNECT is
revoked on the office DB, and pg_hba must restrict it too (printed, checked by `check`).
"""
from __future__ import annotations

from sqlalchemy import text

from . import ddl, freshness, levelkey
from .names import Office, RollupError, role
from .steps import Step, engine, exists, run

VIEWER = "jaga_viewer"       # the read-only group role of the regional/national dashboard


def office_steps(o: Office, office_db: str, level_key: bytes) -> list[Step]:
    return [
        Step(f"share table {o.table} in {office_db}", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_reports'"),
            ddl.share_table(o, with_envelope=True, check_code=True)),
        Step(f"link table {o.links} in {office_db} (filled by the office's indexing)", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_links'"),
            ddl.links_table(o, with_envelope=True, check_code=True)),
        Step(f"{o.schema}.share_links_done (which reports' links were made; office only)", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_links_done'"),
            ddl.links_done_table(o)),
        Step(f"trigger keeping {o.table} in step with envelopes", None, ddl.office_trigger(o)),
        Step("the level key for pseudonymous ids (stored once, never published)",
             f"SELECT EXISTS (SELECT 1 FROM {o.schema}.share_key)",
             [f"INSERT INTO {o.schema}.share_key (level_key) VALUES (decode('{level_key.hex()}', 'hex'))"]),
        Step("reports already received go into the share table", None, [ddl.backfill(o)]),
        Step(f"publication {o.pub_local} (column list, WHERE office_code = {o.code!r} AND NOT rahasia)",
             exists(f"SELECT 1 FROM pg_publication WHERE pubname = '{o.pub_local}'"), [ddl.local_publication(o)]),
        Step(f"publication {o.pub_local} carries {o.links} (same row filter)",
             ddl.publication_has(o.pub_local, o, "share_links"), [ddl.links_publication(o)]),
        Step(f"replication slot {o.slot_local} for the share database",
             exists(f"SELECT 1 FROM pg_replication_slots WHERE slot_name = '{o.slot_local}'"),
             [f"SELECT pg_create_logical_replication_slot('{o.slot_local}', 'pgoutput')"]),
    ]


def office_setup(admin_url: str, office_db: str, code: str, *, local_conninfo: str, region_role: str,
                 region_password: str | None, level_key: bytes | None = None,
                 keep_connect: tuple[str, ...] = (), say=print) -> None:
    """Everything on the office's own cluster (run as a superuser of that cluster).

    CONNECT on the office database is revoked from PUBLIC; the owner, every login that may
    write `envelopes` (the office app's, found, not guessed) and `keep_connect` (backups,
    reporting) keep it, and a login connected now that would lose it stops the set-up."""
    o = Office(code)
    rrole = role(region_role)
    key = level_key or levelkey.load()
    say(f"office {o.code}: database {office_db}")
    office = engine(admin_url, office_db)
    stored = levelkey.stored(admin_url, office_db, code)
    if stored is not None and stored != key:
        raise RollupError(f"office {o.code} already holds a different level key: every office of a level must use "
                          f"the same one (or their cross-office links never meet); to change it, "
                          f"`rollup rotate-key` at every office; nothing was changed")
    keep = _keepers(office, office_db, rrole, tuple(role(r) for r in keep_connect))
    run(office, office_steps(o, office_db, key), say)
    say(f"office {o.code}: share database {o.share_db}")
    run(engine(admin_url, "postgres"), [
        Step(f"database {o.share_db}", exists(f"SELECT 1 FROM pg_database WHERE datname = '{o.share_db}'"),
             [f"CREATE DATABASE {o.share_db}"]),
        Step(f"role {rrole} (LOGIN REPLICATION; reaches only {o.share_db})",
             exists(f"SELECT 1 FROM pg_roles WHERE rolname = '{rrole}'"),
             [f"CREATE ROLE {rrole} LOGIN REPLICATION" + (f" PASSWORD {ddl.q(region_password)}" if region_password else "")]),
        Step(f"no CONNECT on {office_db} for PUBLIC; its owner and {', '.join(keep) or 'no other role'} keep it",
             f"SELECT NOT has_database_privilege('{rrole}', '{office_db}', 'CONNECT')"
             + "".join(f" AND has_database_privilege('{r}', '{office_db}', 'CONNECT')" for r in keep),
             [f"DO $do$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', '{office_db}', "
              f"(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{office_db}')); END $do$",
              *[f"GRANT CONNECT ON DATABASE {office_db} TO {r}" for r in keep],
              f"REVOKE CONNECT ON DATABASE {office_db} FROM PUBLIC"]),
    ], say)
    share = engine(admin_url, o.share_db)
    run(share, [
        Step(f"share table {o.table} in {o.share_db}", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_reports'"),
            ddl.share_table(o, with_envelope=False, check_code=True)),
        Step(f"link table {o.links} in {o.share_db}", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_links'"),
            ddl.links_table(o, with_envelope=False, check_code=True)),
        Step(f"subscription {o.sub_at('share')} <- {office_db} (same cluster, slot made beforehand)",
             exists(f"SELECT 1 FROM pg_subscription WHERE subname = '{o.sub_at('share')}'"),
             [ddl.subscription(o.sub_at("share"), local_conninfo, o.pub_local, slot=o.slot_local)]),
        Step(f"subscription {o.sub_at('share')} carries {o.links}",
             ddl.subscription_has(o.sub_at("share"), o, "share_links"),
             [f"ALTER SUBSCRIPTION {o.sub_at('share')} REFRESH PUBLICATION"]),
        *up_steps(o),
        Step(f"in {o.share_db} {rrole} lists no database, slot or session and cannot make, drop or read a slot "
             f"by SQL", f"SELECT NOT has_table_privilege('{rrole}', 'pg_catalog.pg_database', 'SELECT') AND NOT "
             f"has_function_privilege('{rrole}', 'pg_create_logical_replication_slot(name, name, boolean, boolean)', "
             f"'EXECUTE') AND NOT has_table_privilege('{rrole}', 'pg_catalog.pg_tablespace', 'SELECT')",
             ddl.share_db_lockdown()),
        Step(f"{rrole} may read {o.table} and {o.links}, nothing else",
             f"SELECT has_table_privilege('{rrole}', '{o.table}', 'SELECT') "
             f"AND has_table_privilege('{rrole}', '{o.links}', 'SELECT')",
             [f"REVOKE ALL ON SCHEMA public FROM PUBLIC",
              f"GRANT CONNECT ON DATABASE {o.share_db} TO {rrole}",
              f"GRANT USAGE ON SCHEMA {o.schema} TO {rrole}",
              f"GRANT SELECT ON {o.table}, {o.links} TO {rrole}"]),
    ], say)
    say(f"pg_hba.conf of this cluster must hold, before any broader line:\n"
        f"  hostssl {o.share_db} {rrole} <region address>/32 scram-sha-256\n"
        f"  host    all {rrole} all reject\n"
        f"  host    replication {rrole} all reject")


class AppLockout(RollupError):
    """office-setup would take CONNECT from a login that uses the office database now."""
    code = "rollup_app_lockout"


def _keepers(office, office_db: str, region_role: str, named: tuple[str, ...]) -> list[str]:
    """The logins that keep CONNECT on the office DB once PUBLIC loses it: the office app's
    (every login that may write `envelopes`, directly or through a group) and `named`.

    Refuses (nothing changed yet) when the database is not an office's, or when a login is
    connected to it right now that would lose CONNECT: a backup or reporting login the
    operator has to name (--keep-connect) or leave out on purpose (stop its sessions)."""
    with office.connect() as conn:
        if not conn.execute(text("SELECT to_regclass('public.envelopes') IS NOT NULL")).scalar():
            raise AppLockout(f"{office_db} has no envelopes table: not an office database (run the office's "
                             f"migrations first, or name the right --office-db); nothing was changed")
        writers = conn.execute(text(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND rolname <> :region "
            "AND has_table_privilege(oid, 'public.envelopes', 'INSERT') ORDER BY 1"),
            {"region": region_role}).scalars().all()
        keep = sorted(set(writers) | set(named))
        stranded = conn.execute(text(
            "SELECT DISTINCT a.usename FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename "
            "JOIN pg_database d ON d.datname = a.datname WHERE a.datname = :db AND NOT r.rolsuper "
            "AND r.oid <> d.datdba AND NOT (a.usename = ANY(:keep)) ORDER BY 1"),
            {"db": office_db, "keep": keep}).scalars().all()
    if stranded:
        raise AppLockout(f"{', '.join(stranded)} {'is' if len(stranded) == 1 else 'are'} connected to {office_db} now "
                         f"and would lose CONNECT (it is revoked from PUBLIC so that the regional login cannot "
                         f"connect): name {'it' if len(stranded) == 1 else 'each'} with --keep-connect ROLE, or stop "
                         f"its sessions if it should lose access; nothing was changed")
    return keep


def up_steps(o: Office) -> list[Step]:
    """The onward publication (share DB -> region, region -> national): both tables."""
    return [Step(f"publication {o.pub_up} (insert, update, delete; never truncate)",
                 exists(f"SELECT 1 FROM pg_publication WHERE pubname = '{o.pub_up}'"), [ddl.up_publication(o)]),
            Step(f"publication {o.pub_up} carries {o.links}", ddl.publication_has(o.pub_up, o, "share_links"),
                 [f"ALTER PUBLICATION {o.pub_up} ADD TABLE {o.links}"])]


def subscriber_steps(o: Office) -> list[Step]:
    """The office's own role at this level, allowed to write that office's tables only."""
    return [Step(f"role {o.subscriber} (owns {o.code}'s subscription; no password, no superuser)",
                 exists(f"SELECT 1 FROM pg_roles WHERE rolname = '{o.subscriber}'"), ddl.subscriber_role(o)),
            Step(f"{o.subscriber} may write {o.table} and {o.links}, no other table",
                 f"SELECT has_table_privilege('{o.subscriber}', '{o.table}', 'INSERT') "
                 f"AND has_table_privilege('{o.subscriber}', '{o.links}', 'DELETE')", ddl.subscriber_grants(o))]


def region_steps(codes_conninfo: dict[str, str], level: str = "region") -> list[Step]:
    steps: list[Step] = []
    for code, conninfo in sorted(codes_conninfo.items()):
        o = Office(code)
        steps.append(Step(f"{o.table} (CHECK office_code = {code!r})", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_reports'"),
            ddl.share_table(o, with_envelope=False, check_code=True)))
        steps.append(Step(f"{o.links} (CHECK office_code = {code!r})", exists(
            f"SELECT 1 FROM pg_tables WHERE schemaname = '{o.schema}' AND tablename = 'share_links'"),
            ddl.links_table(o, with_envelope=False, check_code=True)))
        steps += subscriber_steps(o)
        steps.append(Step(f"subscription {o.sub_at(level)} <- {o.share_db} (disable_on_error, owned by "
                          f"{o.subscriber})",
                          exists(f"SELECT 1 FROM pg_subscription WHERE subname = '{o.sub_at(level)}'"),
                          ddl.owned_subscription(o.sub_at(level), conninfo, o.pub_up, o)))
        steps.append(Step(f"subscription {o.sub_at(level)} owned by {o.subscriber}",
                          ddl.owned_by_subscriber(o.sub_at(level), o), [ddl.subscriber_owns(o.sub_at(level), o)]))
        steps.append(Step(f"subscription {o.sub_at(level)} carries {o.links}",
                          ddl.subscription_has(o.sub_at(level), o, "share_links"),
                          [f"ALTER SUBSCRIPTION {o.sub_at(level)} REFRESH PUBLICATION"]))
    return steps


def region_setup(admin_url: str, region_db: str, offices: dict[str, str], *, level: str = "region",
                 say=print) -> None:
    """At the region (or national) cluster: one table and one subscription per office."""
    if not offices:
        raise RollupError("name at least one office: --office CODE='host=... dbname=share_code user=...'")
    eng = engine(admin_url, "postgres")
    run(eng, [Step(f"database {region_db}", exists(f"SELECT 1 FROM pg_database WHERE datname = '{region_db}'"),
                   [f"CREATE DATABASE {region_db}"])], say)
    eng = engine(admin_url, region_db)
    run(eng, region_steps(offices, level), say)
    with eng.connect() as conn:
        have = [r[0].removeprefix("kanim_").upper() for r in conn.execute(text(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'share_reports' AND schemaname LIKE 'kanim\\_%'"))]
        linked = [r[0].removeprefix("kanim_").upper() for r in conn.execute(text(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'share_links' AND schemaname LIKE 'kanim\\_%'"))]
    run(eng, [Step(f"view public.share_reports over {', '.join(sorted(have))}", None, [ddl.union_view(have)]),
              Step(f"view public.share_links over {', '.join(sorted(linked))}", None,
                   [ddl.union_view(linked, "share_links")]),
              Step("view public.share_weekly (counts per office, kecamatan, week, form, category)", None,
                   [ddl.weekly_view()]),
              Step("view public.share_freshness (per office: stream running, last heard, newest change)", None,
                   [freshness.VIEW]),
              Step(f"role {VIEWER} (NOLOGIN; analysts' logins are its members): SELECT on the views only",
                   exists(f"SELECT 1 FROM pg_roles WHERE rolname = '{VIEWER}'"),
                   [f"CREATE ROLE {VIEWER} NOLOGIN"]),
              Step(f"{VIEWER} may read public.share_reports, share_links, share_weekly, share_freshness", None,
                   [f"REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                    f"GRANT SELECT ON public.share_reports, public.share_links, public.share_weekly, "
                    f"public.share_freshness TO {VIEWER}"])],
        say)


def national_login(admin_url: str, region_db: str, login: str, password: str | None, say=print) -> None:
    """At the region: the login the national level's subscriptions connect with — the same
    recipe as an office's regional login: LOGIN REPLICATION with a password, reads the
    offices' tables of this database only, lists no database or slot, makes no slot by SQL."""
    nrole = role(login)
    if not password:
        raise RollupError("set JAGA_ROLLUP_PASSWORD to the national login's password (never on the command line)")
    eng = engine(admin_url, region_db)
    with eng.connect() as conn:
        codes = [r[0].removeprefix("kanim_").upper() for r in conn.execute(text(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'share_reports' AND schemaname LIKE 'kanim\\_%' "
            "ORDER BY 1"))]
    if not codes:
        raise RollupError(f"{region_db} holds no office's tables yet: run `rollup region-setup` first")
    offices = [Office(c) for c in codes]
    tables = ", ".join(f"{o.table}, {o.links}" for o in offices)
    run(eng, [
        Step(f"role {nrole} (LOGIN REPLICATION; the national level's subscriptions)",
             exists(f"SELECT 1 FROM pg_roles WHERE rolname = '{nrole}'"),
             [f"CREATE ROLE {nrole} LOGIN REPLICATION PASSWORD {ddl.q(password)}"]),
        Step(f"in {region_db} {nrole} lists no database, slot or session and cannot make, drop or read a slot by SQL",
             f"SELECT NOT has_table_privilege('{nrole}', 'pg_catalog.pg_database', 'SELECT') AND NOT "
             f"has_function_privilege('{nrole}', 'pg_create_logical_replication_slot(name, name, boolean, boolean)', "
             f"'EXECUTE') AND NOT has_table_privilege('{nrole}', 'pg_catalog.pg_tablespace', 'SELECT')",
             ddl.share_db_lockdown()),
        Step(f"{nrole} may read {tables}",
             "SELECT " + " AND ".join(f"has_table_privilege('{nrole}', '{t}', 'SELECT')" for o in offices
                                      for t in (o.table, o.links)),
             [f"GRANT CONNECT ON DATABASE {region_db} TO {nrole}",
              *[f"GRANT USAGE ON SCHEMA {o.schema} TO {nrole}" for o in offices],
              f"GRANT SELECT ON {tables} TO {nrole}"]),
    ], say)
    say(f"pg_hba.conf of this cluster must hold, before any broader line:\n"
        f"  hostssl {region_db} {nrole} <national address>/32 scram-sha-256\n"
        f"  host    all {nrole} all reject\n"
        f"  host    replication {nrole} all reject")


def publish_onward(admin_url: str, region_db: str, codes: list[str], say=print) -> None:
    """Region -> national: publish each office's table onward (insert, update, delete)."""
    eng = engine(admin_url, region_db)
    run(eng, [s for c in codes for s in up_steps(Office(c))], say)


def resync(admin_url: str, region_db: str, code: str, conninfo: str, *, level: str = "region", say=print) -> None:
    """Start one office's copy again from scratch (after disable_on_error, or a lost slot).

    Only that office's table is emptied; the others are never touched. It is emptied with
    DELETE, not TRUNCATE: a DELETE travels on to the national copy (which publishes no
    TRUNCATE), so the re-copied rows arrive there as new rows instead of duplicate keys."""
    o = Office(code)
    eng = engine(admin_url, region_db)
    name = o.sub_at(level)
    with eng.connect() as conn:
        present = conn.execute(text("SELECT subenabled FROM pg_subscription WHERE subname = :n"), {"n": name}).first()
    steps = subscriber_steps(o)
    if present is not None:
        steps.append(Step(f"drop subscription {name} (and its slot upstream)", None,
                          [f"ALTER SUBSCRIPTION {name} DISABLE", f"DROP SUBSCRIPTION {name}"]))
    steps.append(Step(f"empty {o.table} and {o.links} here (this office only)", None,
                      [f"DELETE FROM {o.table}", f"DELETE FROM {o.links}"]))
    steps.append(Step(f"subscription {name} again, copying everything, owned by {o.subscriber}", None,
                      ddl.owned_subscription(name, conninfo, o.pub_up, o)))
    run(eng, steps, say)


def enable(admin_url: str, db: str, codes: list[str], *, level: str = "region", say=print) -> int:
    """Start subscriptions that disable_on_error stopped for a lost connection (the upstream
    cluster restarted or crashed: PostgreSQL 15 counts "server closed the connection" as an
    apply error). The slot upstream is intact, so streaming resumes where it stopped; a
    subscription stopped by a real conflict fails again at once (then: fix, `rollup resync`)."""
    eng = engine(admin_url, db)
    return run(eng, [Step(f"subscription {Office(c).sub_at(level)} enabled",
                          f"SELECT coalesce((SELECT subenabled FROM pg_subscription WHERE subname = "
                          f"'{Office(c).sub_at(level)}'), true)",
                          [f"ALTER SUBSCRIPTION {Office(c).sub_at(level)} ENABLE"]) for c in codes], say)
