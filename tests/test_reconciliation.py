"""The ledger of what each data migration did with every row (public.migration_reconciliation)."""

import pytest
import sqlalchemy as sa

from tests.migrations.roundtrip import rows
from tests.support import Databases, upgrade
from tests.test_cli import therapy_db
from tests.test_coaching_backfills import load_mvp

# A stand-in for a faulty backfill: one conversation's person goes missing on its way.
LOSE_A_ROW = """
CREATE FUNCTION public.lose_a_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.external_auth_id = 'person-2' THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER lose_a_row BEFORE INSERT ON public.users
FOR EACH ROW EXECUTE FUNCTION public.lose_a_row();
"""


def test_a_backfill_that_loses_a_row_fails_its_revision_whole(databases: Databases):
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            load_mvp(connection, [("person-1", None, []), ("person-2", None, [])])
            connection.execute(sa.text(LOSE_A_ROW))
        before = rows(engine)

        with pytest.raises(Exception, match="every_row_accounted_for"):
            upgrade(engine, "coaching_phase2")

        assert rows(engine) == before


def test_verify_lists_each_backfill_with_the_reasons_rows_were_set_aside(databases: Databases):
    with databases.at("coaching_phase1") as engine:
        with engine.begin() as connection:
            load_mvp(
                connection,
                [("person-1", {"week_number": 1}, [{"mood_rating": 11}]), ("  ", None, [])],
            )
        upgrade(engine, "head")
        result = therapy_db(engine, "verify")

    assert result.exit_code == 0, result.output
    for account in (
        "coaching_phase2 -> public.users: 2 source rows, 1 moved, 1 set aside: user_id is blank",
        "coaching_phase3 -> coaching.sessions: 1 source rows, 1 moved, 0 set aside",
        "coaching_phase3 -> coaching.check_ins: 1 source rows, 0 moved, 1 set aside: "
        "mood_rating is outside 1..10 (1)",
        "coaching_phase4 -> coaching.transcripts: 0 source rows, 0 moved, 0 set aside",
        "memory_normalized -> memory.user_profile_summary: 0 source rows",
    ):
        assert account in result.output
