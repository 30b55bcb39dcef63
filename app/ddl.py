"""DDL that revisions share: the `updated_at` trigger.

Revisions import this module (never `app.models`), so what it emits is part of the history: once a
revision has shipped using a function here, that function's SQL does not change. A different
behaviour gets a new function.
"""

from alembic import op

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
