"""DDL that revisions share: updated_at triggers, locks on busy tables, roles, the ledger.

Revisions import this module (never `app.runtime.models`), so what it emits is part of the
history: once a revision has shipped using a function here, that function's SQL does not change.
A different behaviour gets a new function.
"""

import logging
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from alembic import op
from sqlalchemy.exc import OperationalError

log = logging.getLogger("alembic.runtime.migration")

UPDATED_AT_FUNCTION = "public.set_updated_at"
UPDATED_AT_TRIGGER = "set_updated_at"

# Data migrations that rewrite rows set this for their transaction, so moving a row does not
# count as the user changing it: `SELECT set_config('therapy_db.keep_updated_at', 'on', true)`.
KEEP_UPDATED_AT_SETTING = "therapy_db.keep_updated_at"


def create_updated_at_function() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {UPDATED_AT_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(current_setting('{KEEP_UPDATED_AT_SETTING}', true), '') <> 'on' THEN
                NEW.updated_at := now();
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        f"COMMENT ON FUNCTION {UPDATED_AT_FUNCTION}() IS "
        "'Keeps updated_at current on every UPDATE of a table that has the column.'"
    )


def drop_updated_at_function() -> None:
    op.execute(f"DROP FUNCTION {UPDATED_AT_FUNCTION}()")


def add_updated_at_trigger(table: str, schema: str = "public") -> None:
    op.execute(
        f'CREATE TRIGGER {UPDATED_AT_TRIGGER} BEFORE UPDATE ON "{schema}"."{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {UPDATED_AT_FUNCTION}()"
    )


def drop_updated_at_trigger(table: str, schema: str = "public") -> None:
    op.execute(f'DROP TRIGGER {UPDATED_AT_TRIGGER} ON "{schema}"."{table}"')


def keep_updated_at() -> None:
    """For the rest of this migration's transaction, UPDATEs leave updated_at as it is."""
    op.execute(f"SELECT set_config('{KEEP_UPDATED_AT_SETTING}', 'on', true)")


# -- locks on tables that may have traffic ---------------------------------------------------------

LOCK_ATTEMPTS = 10
LOCK_MODES = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)


def lock_tables(modes: Mapping[str, str]) -> None:
    """Take the locks a revision needs on tables that already exist, first, retrying.

    `modes` maps "schema.table" to the strongest lock mode the revision's statements take on it.
    Called as the first statement of an upgrade or downgrade, so no later statement waits for a
    lock: the revision's transaction holds them until it commits.

    A DDL statement that queues for its lock behind a long application transaction stalls every
    query that arrives after it. So each attempt waits a short while only (100 ms, doubling, at
    most the session's lock_timeout), gives up (releasing what it had), sleeps a random moment for
    the traffic to pass, and tries again; after LOCK_ATTEMPTS attempts the revision fails with
    PostgreSQL's lock_not_available (55P03) and rolls back whole: re-run it later. A deadlock with
    an application transaction is retried the same way. The loop is plpgsql, so a rendered SQL
    script (`--sql`) retries too.
    """
    statements = []
    for table, mode in modes.items():
        if mode not in LOCK_MODES:
            raise ValueError(f"unknown lock mode {mode!r} for {table}")
        statements.append(f"LOCK TABLE {table} IN {mode} MODE;")
    op.execute(LOCK_TABLES.format(locks="\n            ".join(statements), attempts=LOCK_ATTEMPTS))


LOCK_TABLES = """
DO $$
DECLARE
    configured CONSTANT text := current_setting('lock_timeout');
    longest CONSTANT interval := nullif(configured, '0')::interval;
    attempt integer := 1;
BEGIN
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', ceil(1000 * extract(epoch FROM
                least(interval '100 ms' * 2 ^ (attempt - 1), longest))) || 'ms', true);
            {locks}
            EXIT;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            IF attempt >= {attempts} THEN
                RAISE;
            END IF;
            RAISE WARNING 'therapy-db: tables busy (%), attempt % of {attempts}; retrying',
                SQLERRM, attempt;
        END;
        PERFORM pg_sleep(random() * least(0.05 * 2 ^ attempt, 2));
        attempt := attempt + 1;
    END LOOP;
    PERFORM set_config('lock_timeout', configured, true);
END
$$
"""


@contextmanager
def outside_transaction() -> Iterator[bool]:
    """alembic's autocommit_block: yields True when statements now run outside a transaction.

    A caller that hands env.py a connection inside its own transaction runs the whole migration
    in that transaction; nothing may commit in the middle of it, so the block's statements run in
    it too (and it yields False).
    """
    migration = op.get_context()
    # alembic's own condition for refusing an autocommit block: it did not begin the transaction.
    if (
        not migration.as_sql
        and migration._transaction is None
        and migration.connection.in_transaction()
    ):
        yield False
        return
    with migration.autocommit_block():
        yield True


def create_indexes_concurrently(table: str, indexes: Mapping[str, str], *, schema: str) -> None:
    """Build indexes (name -> columns) without blocking writes to `table`, each committed alone.

    Call it first in a revision, before the revision's transactional part: a run killed during
    a build leaves the previous revision in place plus the index, valid or INVALID. CREATE INDEX
    CONCURRENTLY commits on its own, so a killed or failed build leaves its index INVALID, which
    `IF NOT EXISTS` would take for done: an invalid leftover of that name is dropped first (a
    plain DROP INDEX, a moment of ACCESS EXCLUSIVE, only after an interruption), so running the
    revision again builds each index once and adopts a valid one. Online, a build that hit
    lock_timeout (it waits for transactions older than itself) is retried like `lock_tables`.
    """
    with outside_transaction() as autocommit:
        for name, columns in indexes.items():
            _create_index(name, table, columns, schema=schema, concurrently=autocommit)


def _create_index(name: str, table: str, columns: str, *, schema: str, concurrently: bool) -> None:
    drop_invalid = f"""
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index
                WHERE indexrelid = to_regclass('{schema}.{name}') AND NOT indisvalid) THEN
        DROP INDEX {schema}.{name};
    END IF;
END
$$
"""
    create = (
        f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS {name} "
        f"ON {schema}.{table} ({columns})"
    )
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            op.execute(drop_invalid)
            op.execute(create)
            return
        except OperationalError as error:
            lock_timeout = getattr(error.orig, "pgcode", None) == "55P03"
            if not (concurrently and lock_timeout) or attempt == LOCK_ATTEMPTS:
                raise
            log.warning(
                "therapy-db: %s.%s busy, attempt %d of %d; retrying",
                schema,
                table,
                attempt,
                LOCK_ATTEMPTS,
            )
            time.sleep(random.uniform(0, min(0.05 * 2**attempt, 2)))


# -- roles -----------------------------------------------------------------------------------------


def create_role_if_missing(role: str) -> None:
    """A NOLOGIN group role. Roles belong to the whole server, so another database's migrations
    may have created it already (or be creating it at this moment); downgrades leave it."""
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object THEN
            NULL;  -- created at the same moment by a migration of another database
        END
        $$
        """
    )


def create_system_login(role: str, member_of: str, search_path: str) -> None:
    """The login of one source system's own code: a LOGIN role (no password: a DBA sets one),
    member of `member_of`, whose privileges it gets, with `search_path` in this database, so
    the system's unqualified SQL finds its own schema's tables and bridges first.

    Creating roles, granting a group role and setting another role's defaults need rights a
    migration owner may lack (CREATEROLE, ADMIN on the group role): each step that is refused
    says, in a WARNING, the statement a DBA runs once instead; `therapy-db verify` reports a
    system login that is not set up.
    """
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} LOGIN;
            END IF;
            IF NOT pg_has_role('{role}', '{member_of}', 'MEMBER') THEN
                GRANT {member_of} TO {role};
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: CREATE ROLE {role} LOGIN; '
                          'GRANT {member_of} TO {role}; ALTER ROLE {role} IN DATABASE % '
                          'SET search_path = {search_path}', current_database();
        END
        $$
        """
    )
    _set_in_database(role, f"SET search_path = {search_path}")


def reset_system_login(role: str) -> None:
    """Back to no search_path of its own in this database; the role, a server's, stays."""
    _set_in_database(role, "RESET search_path")


def set_login_default(role: str, name: str, value: str) -> None:
    """A session default of a system's login in this database (its time zone, say), as that
    system's own database had it; a WARNING says what a DBA runs where the owner may not.
    `value` is one word (UTC, on): it goes into the statement unquoted."""
    _set_in_database(role, f"SET {name} = {value}")


def reset_login_default(role: str, name: str) -> None:
    _set_in_database(role, f"RESET {name}")


def _set_in_database(role: str, setting: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                EXECUTE format('ALTER ROLE {role} IN DATABASE %I {setting}', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE {role} IN DATABASE % {setting}', current_database();
        END
        $$
        """
    )


# -- the migration linter --------------------------------------------------------------------


def lint_exemption(rule: str, reason: str) -> None:
    """Tell squawk (tests/migrations/test_lint.py) that this upgrade or downgrade breaks `rule`
    on purpose, and why: a comment in the offline SQL only (online it would be an empty query)."""
    if op.get_context().as_sql:
        op.execute(f"-- squawk-ignore-file {rule} -- {reason}")


# -- accounting for every row a data migration moves -----------------------------------------------

RECONCILIATION = "public.migration_reconciliation"


def record_reconciliation(
    revision: str, target: str, *, source: str, moved: str, rejected: str = "SELECT 0"
) -> None:
    """Write what one backfill did to the ledger operators read (`therapy-db verify`).

    `source`, `moved` and `rejected` are `SELECT count(*)` queries over the rows the backfill read,
    the ones that reached `target`, and the ones set aside with a reason, each counted on its
    own. The ledger refuses counts that do not add up (every_row_accounted_for), so a backfill
    that lost a row fails its revision, which rolls back whole.
    """
    op.execute(
        f"""
        INSERT INTO {RECONCILIATION} (revision, target, source_rows, moved_rows, rejected_rows)
        VALUES ('{revision}', '{target}', ({source}), ({moved}), ({rejected}))
        """
    )


def forget_reconciliation(revision: str) -> None:
    """A downgrade takes its revision's accounts with the rows they counted."""
    op.execute(f"DELETE FROM {RECONCILIATION} WHERE revision = '{revision}'")


def forget_import(context: str) -> None:
    """A context's first revision, going down, takes what `therapy-db import` recorded of it:
    the ledger's accounts and the rows it set aside (they were the context's data)."""
    op.execute(f"DELETE FROM {RECONCILIATION} WHERE revision = 'import:{context}'")
    op.execute(f"DELETE FROM public.import_rejects WHERE context = '{context}'")
