"""`therapy-db`, run as an operator runs it, against real databases."""

import shlex
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.operations import erd
from app.operations.cli import app
from app.operations.history import History, current_heads
from app.runtime.models.clinic import VoiceTranscript
from app.runtime.queries import clinic
from tests.clinic_staff import add_staff_member
from tests.migrations.roundtrip import catalog, rows
from tests.support import database_url

runner = CliRunner()


def therapy_db(engine: Engine | None, *args: str, password: str | None = None):
    """Run the command with DATABASE_URL pointing at `engine`'s database."""
    url = "" if engine is None else database_url(engine.url.database, password=password)
    env = {
        "DATABASE_URL": url if isinstance(url, str) else url.render_as_string(hide_password=False)
    }
    return runner.invoke(app, list(args), env=env)


def revision(engine: Engine) -> str | None:
    return ", ".join(current_heads(engine)) or None


def test_status_of_an_empty_database_shows_every_phase_pending(empty_engine):
    result = therapy_db(empty_engine, "status")
    assert result.exit_code == 0, result.output
    assert "base (empty): 0 of" in result.output
    assert result.output.count("pending") == len(History().ids)


def test_status_at_head_shows_phases_applied_and_models_in_sync(engine):
    result = therapy_db(engine, "status")
    assert result.exit_code == 0, result.output
    assert "therapy_3nf" in result.output and "pending" not in result.output
    assert "in sync with the database" in result.output


def test_status_reports_drift_from_the_models(engine):
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE therapy.messages DROP COLUMN metadata"))
    assert "1 differences" in therapy_db(engine, "status").output


def test_dry_run_prints_the_sql_and_changes_nothing(databases, tmp_path):
    with databases.at("therapy_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO therapy.conversation_logs (session_id, role, message_type) "
                    "VALUES ('s', 'user', 'chat')"
                )
            )
        before = rows(engine), catalog(engine)
        result = therapy_db(engine, "migrate", "head", "--dry-run", "--backup-dir", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert "CREATE TABLE therapy.therapy_sessions" in result.output
        assert "nothing was changed" in result.output
        assert (rows(engine), catalog(engine)) == before
        assert revision(engine) == "therapy_legacy"
        assert list(tmp_path.iterdir()) == []  # no backup either


def test_migrate_backs_up_first_and_the_printed_commands_restore_it(databases, tmp_path):
    with databases.at("therapy_legacy") as engine:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO therapy.conversation_logs "
                    "(session_id, role, message_type, message) "
                    "VALUES ('s-1', 'user', 'chat', 'kept in the backup')"
                )
            )
        result = therapy_db(
            engine, "migrate", "head", "--backup-dir", str(tmp_path), password="s3cret-pw"
        )
        assert result.exit_code == 0, result.output
        assert revision(engine) == History().head
        assert "s3cret-pw" not in result.output
        assert len(list(tmp_path.glob("*.dump"))) == 1

        restore = [line.strip() for line in result.output.splitlines() if "/bin/" in line]
        restored_name = f"{engine.url.database}_restored"
        for command in restore:  # the same commands, pointed at a scratch database
            args = [
                restored_name if arg == engine.url.database else arg for arg in shlex.split(command)
            ]
            subprocess.run(args, check=True, capture_output=True)
        restored = sa.create_engine(database_url(restored_name), poolclass=sa.NullPool)
        try:
            assert revision(restored) == "therapy_legacy"
            with restored.connect() as connection:
                messages = connection.scalars(
                    sa.text("SELECT message FROM therapy.conversation_logs")
                )
                assert list(messages) == ["kept in the backup"]
        finally:
            restored.dispose()
            subprocess.run(
                shlex.split(restore[0].replace(engine.url.database, restored_name)), check=True
            )


def heads(engine: Engine) -> set[str]:
    return set(current_heads(engine))


def test_rollback_takes_one_context_back_a_documented_phase_at_a_time(engine):
    others = {"therapy_3nf", "memory_normalized", "clinic_integration", "chat_discord"}
    for phase in ("coaching_phase3", "coaching_phase2", "coaching_phase1"):
        result = therapy_db(engine, "migrate", "--rollback", "--context", "coaching", "--no-backup")
        assert result.exit_code == 0, result.output
        assert heads(engine) == {phase, *others}
    result = therapy_db(engine, "migrate", "--rollback", "--context", "coaching", "--no-backup")
    assert result.exit_code == 0, result.output
    assert heads(engine) == others  # the coaching branch is gone, the others are where they were
    result = therapy_db(engine, "migrate", "--rollback", "--context", "coaching", "--no-backup")
    assert result.exit_code == 1
    assert "nothing of context 'coaching' is applied" in result.output


def test_rollback_needs_to_be_told_which_context(engine):
    result = therapy_db(engine, "migrate", "--rollback", "--no-backup")
    assert result.exit_code != 0
    assert "say which context to roll back: --context therapy|memory|" in result.output
    assert heads(engine) == {History().head}


def test_status_shows_where_each_context_stands(engine):
    therapy_db(engine, "migrate", "coaching_phase2", "--no-backup")
    result = therapy_db(engine, "status")
    assert result.exit_code == 0, result.output
    contexts_table = result.output.split("┏")[1]  # the first table: context, at, next, ...
    rows = [line.split("│") for line in contexts_table.splitlines() if "│" in line]
    standing = {cells[1].strip(): cells[2].strip() for cells in rows}
    assert standing == {
        "therapy": "therapy_3nf",
        "memory": "memory_normalized",
        "coaching": "coaching_phase2",
        "clinic": "clinic_integration",
        "chat": "chat_discord",
    }
    assert "not at head" in result.output


def test_migrating_to_where_the_database_is_does_nothing(engine, tmp_path):
    result = therapy_db(engine, "migrate", "head", "--backup-dir", str(tmp_path))
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("migrate", "coaching_phase9"), "unknown phase or revision 'coaching_phase9'"),
        (("migrate", "head", "--rollback"), "give a TARGET or --rollback"),
        (("migrate",), "give a TARGET or --rollback"),
    ],
)
def test_bad_input_is_one_clear_message_and_a_failing_exit(engine, args, message):
    result = therapy_db(engine, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_unreachable_database_is_a_clear_error_without_the_password():
    result = runner.invoke(
        app, ["status"], env={"DATABASE_URL": "postgresql://app:s3cret-pw@127.0.0.1:9/therapy"}
    )
    assert result.exit_code == 1
    assert "error: cannot connect to PostgreSQL at 127.0.0.1:9/therapy" in result.output
    assert "s3cret-pw" not in result.output


def test_committed_diagrams_match_the_models():
    assert erd.stale() == [], "run `therapy-db erd` and commit docs/erd/"


def test_a_changed_diagram_is_reported_stale(tmp_path, monkeypatch):
    monkeypatch.setattr(erd, "DIRECTORY", tmp_path)
    erd.write()
    assert erd.stale() == []
    (tmp_path / "therapy.md").write_text("outdated\n")
    (tmp_path / "retired.md").write_text("a context that no longer exists\n")
    assert [path.name for path in erd.stale()] == ["retired.md", "therapy.md"]
    assert runner.invoke(app, ["erd", "--check"]).exit_code == 1


@pytest.mark.calendar
def test_purge_transcripts_removes_only_old_ones_in_batches(engine, session):
    member = add_staff_member(session, "dra.luna")
    clinic.grant_voice_transcript_consent(session, member.id_usuario)
    for days in (200, 120, 91, 10, 0):
        session.add(
            VoiceTranscript(
                session_id="voice-1",
                user_id=member.id_usuario,
                user_text=f"{days} days ago",
                timestamp=session.scalar(sa.select(sa.func.now() - timedelta(days=days))),
            )
        )
    session.commit()

    result = therapy_db(engine, "purge-transcripts", "--older-than", "90d", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "Removed 3 transcripts older than 90d" in result.output
    left = session.scalars(sa.select(VoiceTranscript.user_text).order_by(VoiceTranscript.timestamp))
    assert list(left) == ["10 days ago", "0 days ago"]


def test_purge_transcripts_refuses_an_age_it_cannot_read(engine):
    result = therapy_db(engine, "purge-transcripts", "--older-than", "three months")
    assert result.exit_code == 1
    assert "'three months' is not an age like 90d" in result.output


def test_purge_transcripts_says_which_revision_it_needs(databases):
    with databases.at("therapy_3nf") as engine:
        result = therapy_db(engine, "purge-transcripts")
    assert result.exit_code == 1
    assert "this needs clinic_integration" in result.output


def test_verify_reports_drift_and_fails(engine):
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE therapy.messages DROP COLUMN metadata"))
    result = therapy_db(engine, "verify")
    assert result.exit_code == 1
    assert "differs from the models: add_column" in result.output
