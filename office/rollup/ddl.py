"""SQL for the share table and the chain. PostgreSQL only (15+: row filters, column lists,
disable_on_error). Every statement here is printed by the commands before it runs.

What leaves an office (the tier-B rules of the hand-over, at kecamatan/week level):
a pseudonymous report id (HMAC of the envelope id under the LEVEL key, so the region's ids
differ from any agency's hand-over ids), form, kecamatan code, ISO week, date received,
category, triage state. Never answers, names, free text, GPS, envelopes or keys. The
office-side table also keeps `envelope_id` so it can be maintained; the column list of the
publication leaves it home.

`share_links` (one row per identifier a report names): the same pseudonymous report id, the
identifier's kind, and its link key = HMAC under the LEVEL key of the normalised value, so
the same phone number at two offices gives the same key at the region, which holds no key
and cannot reverse one or test a guess. Filled by the office's Python indexing path
(`links.record`, in ingest's transaction); its `rahasia` follows the report's through the
share trigger, so the row filter removes a reclassified report's links too.
"""
from __future__ import annotations

from .names import Office

PUBLISHED = ("office_code", "id", "rahasia", "form_id", "form_version", "kode_kecamatan", "week",
             "received_date", "category", "triage", "updated_at")

LINKS_PUBLISHED = ("office_code", "id", "kind", "key", "rahasia", "week")


def q(text: str) -> str:
    """A SQL string literal (codes and conninfo are validated, but quote them anyway)."""
    return "'" + text.replace("'", "''") + "'"


def share_columns(with_envelope: bool) -> str:
    env = "  envelope_id varchar(36) NOT NULL UNIQUE,\n" if with_envelope else ""
    return ("  office_code text NOT NULL,\n  id uuid NOT NULL,\n  rahasia boolean NOT NULL,\n" + env +
            "  form_id text NOT NULL,\n  form_version integer NOT NULL,\n  kode_kecamatan text,\n"
            "  week text NOT NULL,\n  received_date date NOT NULL,\n  category text,\n"
            "  triage text NOT NULL,\n  updated_at timestamptz NOT NULL DEFAULT now(),\n"
            "  PRIMARY KEY (office_code, id)")


def share_table(o: Office, *, with_envelope: bool, check_code: bool) -> list[str]:
    check = f",\n  CONSTRAINT share_reports_office CHECK (office_code = {q(o.code)})" if check_code else ""
    return [f"CREATE SCHEMA IF NOT EXISTS {o.schema}",
            f"CREATE TABLE IF NOT EXISTS {o.table} (\n{share_columns(with_envelope)}{check})",
            # UPDATE/DELETE through a row filter need the filter column in the replica identity
            f"CREATE UNIQUE INDEX IF NOT EXISTS share_reports_ident ON {o.table} (office_code, id, rahasia)",
            f"ALTER TABLE {o.table} REPLICA IDENTITY USING INDEX share_reports_ident"]


def links_table(o: Office, *, with_envelope: bool, check_code: bool) -> list[str]:
    env = "  envelope_id varchar(36) NOT NULL,\n" if with_envelope else ""
    check = f",\n  CONSTRAINT share_links_office CHECK (office_code = {q(o.code)})" if check_code else ""
    out = [f"CREATE SCHEMA IF NOT EXISTS {o.schema}",
           f"CREATE TABLE IF NOT EXISTS {o.links} (\n  office_code text NOT NULL,\n  id uuid NOT NULL,\n{env}"
           f"  kind text NOT NULL,\n  key text NOT NULL,\n  rahasia boolean NOT NULL,\n  week text NOT NULL,\n"
           f"  PRIMARY KEY (office_code, id, kind, key){check})",
           f"CREATE UNIQUE INDEX IF NOT EXISTS share_links_ident ON {o.links} (office_code, id, kind, key, rahasia)",
           f"ALTER TABLE {o.links} REPLICA IDENTITY USING INDEX share_links_ident"]
    if with_envelope:       # the trigger's rahasia cascade looks rows up by envelope
        out.append(f"CREATE INDEX IF NOT EXISTS share_links_envelope ON {o.links} (envelope_id)")
    else:                   # the cross-office rule groups by key
        out.append(f"CREATE INDEX IF NOT EXISTS share_links_key ON {o.links} (kind, key)")
    return out


def links_done_table(o: Office) -> list[str]:
    """Office only, never published: which reports' links were made (a report naming no one
    has no link rows, so the rows alone cannot tell the backfill what is left to do)."""
    return [f"CREATE TABLE IF NOT EXISTS {o.schema}.share_links_done (envelope_id varchar(36) PRIMARY KEY)"]


def pseudonym(envelope_id: str, key: str) -> str:
    """SQL for a report's pseudonymous id: the first 16 bytes of HMAC-SHA256(level key, envelope id)."""
    return (f"encode(substring(public.hmac(convert_to({envelope_id}, 'UTF8'), {key}, 'sha256') FROM 1 FOR 16), "
            f"'hex')::uuid")


def office_trigger(o: Office) -> list[str]:
    """Keep the share table in step with `envelopes` inside the ingest/triage transaction."""
    fn = f"{o.schema}.share_upsert"
    return [
        "CREATE EXTENSION IF NOT EXISTS pgcrypto",
        f"CREATE TABLE IF NOT EXISTS {o.schema}.share_key (one boolean PRIMARY KEY DEFAULT true CHECK (one),"
        f" level_key bytea NOT NULL)",
        f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE k bytea; recv timestamptz;
BEGIN
  IF NEW.form_id = '_review' THEN RETURN NEW; END IF;
  SELECT level_key INTO k FROM {o.schema}.share_key;
  recv := NEW.received_at::timestamptz;
  INSERT INTO {o.table} AS t (office_code, id, rahasia, envelope_id, form_id, form_version,
                              kode_kecamatan, week, received_date, category, triage)
  SELECT {q(o.code)}, {pseudonym('NEW.id', 'k')},
         NEW.rahasia, NEW.id, NEW.form_id, NEW.form_version, substr(v.kode_wilayah, 1, 8),
         to_char(recv AT TIME ZONE 'UTC', 'IYYY-"W"IW'), (recv AT TIME ZONE 'UTC')::date,
         coalesce(NEW.category, CASE WHEN NEW.form_id = 'keberangkatan_pmi' THEN 'pmi_nonprosedural' END),
         coalesce(NEW.triage, 'new')
  FROM public.villages v WHERE v.id = NEW.village_id
  ON CONFLICT (envelope_id) DO UPDATE SET rahasia = EXCLUDED.rahasia, triage = EXCLUDED.triage,
         category = EXCLUDED.category, kode_kecamatan = EXCLUDED.kode_kecamatan, updated_at = now()
   WHERE (t.rahasia, t.triage, t.category, t.kode_kecamatan)
         IS DISTINCT FROM (EXCLUDED.rahasia, EXCLUDED.triage, EXCLUDED.category, EXCLUDED.kode_kecamatan);
  UPDATE {o.links} SET rahasia = NEW.rahasia WHERE envelope_id = NEW.id AND rahasia IS DISTINCT FROM NEW.rahasia;
  RETURN NEW;
END $fn$""",
        f"CREATE OR REPLACE TRIGGER {o.schema}_share AFTER INSERT OR UPDATE OF rahasia, triage, category, village_id"
        f" ON public.envelopes FOR EACH ROW EXECUTE FUNCTION {fn}()",
    ]


def backfill(o: Office) -> str:
    """Reports already in the office when the roll-up is set up: touch them through the trigger."""
    return (f"UPDATE public.envelopes e SET triage = e.triage WHERE e.form_id <> '_review' AND NOT EXISTS "
            f"(SELECT 1 FROM {o.table} s WHERE s.envelope_id = e.id)")


def local_publication(o: Office) -> str:
    cols = ", ".join(PUBLISHED)
    return (f"CREATE PUBLICATION {o.pub_local} FOR TABLE {o.table} ({cols}) "
            f"WHERE (office_code = {q(o.code)} AND NOT rahasia) WITH (publish = 'insert, update, delete')")


def links_publication(o: Office) -> str:
    """The links ride in the same publication, with the same row filter."""
    cols = ", ".join(LINKS_PUBLISHED)
    return (f"ALTER PUBLICATION {o.pub_local} ADD TABLE {o.links} ({cols}) "
            f"WHERE (office_code = {q(o.code)} AND NOT rahasia)")


def publication_has(pub: str, o: Office, table: str) -> str:
    return (f"SELECT EXISTS (SELECT 1 FROM pg_publication_tables WHERE pubname = {q(pub)} "
            f"AND schemaname = {q(o.schema)} AND tablename = {q(table)})")


def subscription_has(sub: str, o: Office, table: str) -> str:
    return (f"SELECT NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = {q(sub)}) OR EXISTS ("
            f"SELECT 1 FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid "
            f"JOIN pg_class c ON c.oid = r.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE s.subname = {q(sub)} AND n.nspname = {q(o.schema)} AND c.relname = {q(table)})")


def up_publication(o: Office) -> str:
    # never 'truncate': a TRUNCATE upstream would empty the region's copy
    return f"CREATE PUBLICATION {o.pub_up} FOR TABLE {o.table} WITH (publish = 'insert, update, delete')"


def subscription(name: str, conninfo: str, publication: str, *, slot: str | None = None) -> str:
    opts = ["disable_on_error = true", "synchronous_commit = 'on'"]
    if slot:     # same cluster: the slot is made beforehand, or CREATE SUBSCRIPTION waits on itself
        opts += ["create_slot = false", f"slot_name = {q(slot)}"]
    return f"CREATE SUBSCRIPTION {name} CONNECTION {q(conninfo)} PUBLICATION {publication} WITH ({', '.join(opts)})"


def subscriber_role(o: Office) -> list[str]:
    """The role that owns office `o`'s subscription at the region (or national): it may
    write `o`'s two tables and nothing else. PostgreSQL (15+) applies replicated changes and
    the initial copy with the subscription owner's privileges, so rows an office publishes
    for any other table (another office's, renamed in its own publication) are refused
    ("permission denied"), and disable_on_error stops only that office's stream.

    LOGIN because the apply worker starts a session as the owner; no password, so no
    network login can use it (pg_hba's scram lines need one)."""
    return [f"CREATE ROLE {o.subscriber} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
            f"REVOKE ALL ON SCHEMA public FROM {o.subscriber}"]


def subscriber_grants(o: Office) -> list[str]:
    return [f"GRANT USAGE ON SCHEMA {o.schema} TO {o.subscriber}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {o.table}, {o.links} TO {o.subscriber}"]


def subscriber_owns(name: str, o: Office) -> str:
    """Ownership moves in one implicit transaction: PostgreSQL 15 only gives a subscription to
    a superuser, so the role is one for the length of that transaction and never after."""
    return (f"ALTER ROLE {o.subscriber} SUPERUSER; ALTER SUBSCRIPTION {name} OWNER TO {o.subscriber}; "
            f"ALTER ROLE {o.subscriber} NOSUPERUSER")


def owned_subscription(name: str, conninfo: str, publication: str, o: Office) -> list[str]:
    """Made disabled, given to the office's own role, then enabled: the initial copy must not
    start (as the superuser who made it) before the owner is the office's role."""
    create = subscription(name, conninfo, publication).replace("WITH (", "WITH (enabled = false, ", 1)
    return [create, subscriber_owns(name, o), f"ALTER SUBSCRIPTION {name} ENABLE"]


def owned_by_subscriber(name: str, o: Office) -> str:
    return (f"SELECT NOT EXISTS (SELECT 1 FROM pg_subscription WHERE subname = {q(name)}) OR EXISTS ("
            f"SELECT 1 FROM pg_subscription s JOIN pg_roles r ON r.oid = s.subowner WHERE s.subname = {q(name)} "
            f"AND r.rolname = {q(o.subscriber)} AND NOT r.rolsuper)")


# What a login in the share database could learn of the rest of the cluster, or do to slots
# by SQL. The subscription needs none of it: its walsender reads the publication, the
# share tables and its own slot by the replication protocol.
HIDDEN_CATALOGS = ("pg_database", "pg_stat_database", "pg_stat_database_conflicts", "pg_replication_slots",
                   "pg_stat_replication_slots", "pg_stat_activity", "pg_stat_replication", "pg_stat_subscription",
                   "pg_stat_subscription_stats", "pg_stat_wal_receiver", "pg_shdescription", "pg_tablespace")
SLOT_FUNCTIONS = ("pg_create_logical_replication_slot", "pg_create_physical_replication_slot",
                  "pg_drop_replication_slot", "pg_replication_slot_advance", "pg_copy_logical_replication_slot",
                  "pg_copy_physical_replication_slot", "pg_logical_slot_get_changes", "pg_logical_slot_peek_changes",
                  "pg_logical_slot_get_binary_changes", "pg_logical_slot_peek_binary_changes",
                  "pg_logical_emit_message", "pg_database_size", "pg_tablespace_size")


def share_db_lockdown() -> list[str]:
    """In the share database (ACLs of catalogs and functions are per database): PUBLIC may
    neither list the cluster's databases, slots and sessions nor create, drop, advance or
    read slots with SQL functions. Superusers are not affected."""
    names = ", ".join(q(n) for n in SLOT_FUNCTIONS)
    return [f"REVOKE SELECT ON {', '.join('pg_catalog.' + c for c in HIDDEN_CATALOGS)} FROM PUBLIC",
            f"DO $do$ DECLARE f regprocedure; BEGIN FOR f IN SELECT p.oid::regprocedure FROM pg_proc p "
            f"WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname IN ({names}) LOOP "
            f"EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f); END LOOP; END $do$"]


def union_view(codes: list[str], table: str = "share_reports") -> str:
    parts = [f"SELECT * FROM {Office(c).schema}.{table}" for c in sorted(codes)]
    return f"CREATE OR REPLACE VIEW public.{table} AS\n" + "\nUNION ALL\n".join(parts)


def weekly_view() -> str:
    """Aggregate first: what a regional analyst reads before any row."""
    return ("CREATE OR REPLACE VIEW public.share_weekly AS SELECT office_code, kode_kecamatan, week, form_id, "
            "category, count(*) AS reports FROM public.share_reports "
            "GROUP BY office_code, kode_kecamatan, week, form_id, category")
