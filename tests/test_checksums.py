"""What a database applied, it remembers (public.alembic_version_checksums): a revision changed
since is named by `therapy-db verify` and `status`, and `therapy-db migrate` (and alembic)
refuse the database until the records are repaired on purpose."""

import shutil

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import Engine

from app.operations import checksums, history
from app.operations.history import History, alembic_config
from tests.support import ROOT, database_url, run_alembic
from tests.test_cli import therapy_db


def recorded(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return checksums.recorded(connection)


def test_each_revision_applied_is_recorded_with_its_checksum_and_forgotten_going_down(
    empty_engine: Engine,
):
    therapy_db(empty_engine, "migrate", "head", "--no-backup")
    installed = History(alembic_config())
    assert recorded(empty_engine) == {
        revision: checksums.golden_checksum(installed, revision) for revision in installed.ids
    }
    therapy_db(empty_engine, "migrate", "coaching_phase2", "--no-backup")
    gone = set(installed.ids) - set(recorded(empty_engine))
    assert gone == {"coaching_phase3", "coaching_phase4", "platform_roles"}


def test_a_revision_edited_after_it_was_applied_is_named_by_verify_and_status(
    engine: Engine, tmp_path, monkeypatch
):
    therapy_db(engine, "migrate", "chat_discord", "--no-backup", "--allow-data-loss")
    therapy_db(engine, "migrate", "head", "--no-backup")  # chat_discord applied here, recorded
    shutil.copytree(ROOT / "alembic", tmp_path / "alembic")
    shutil.copy(ROOT / "alembic.ini", tmp_path / "alembic.ini")
    edited = tmp_path / "alembic" / "versions" / "chat_discord.py"
    edited.write_text(
        edited.read_text().replace(
            "def upgrade() -> None:\n", "def upgrade() -> None:\n    op.execute('SELECT 1')\n", 1
        )
    )
    edited_config = Config(tmp_path / "alembic.ini")
    edited_config.attributes["configure_logger"] = False  # as history.alembic_config leaves it
    monkeypatch.setattr(history, "alembic_config", lambda *_, **__: edited_config)

    verified = therapy_db(engine, "verify")
    assert verified.exit_code == 1
    changed = [line for line in verified.output.splitlines() if "changed history" in line]
    assert len(changed) == 1 and "changed history: chat_discord: applied as" in changed[0]
    status = therapy_db(engine, "status")
    assert status.exit_code == 1 and "changed history: chat_discord" in status.output


def test_a_database_whose_records_differ_is_refused_until_repaired_on_purpose(engine: Engine):
    therapy_db(engine, "migrate", "chat_discord", "--no-backup", "--allow-data-loss")
    therapy_db(engine, "migrate", "head", "--no-backup")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"UPDATE {checksums.TABLE} SET checksum = repeat('0', 64) "
                "WHERE revision = 'therapy_3nf'"
            )
        )
    refused = therapy_db(engine, "migrate", "coaching_phase3", "--no-backup")
    assert refused.exit_code == 1
    assert "therapy_3nf: applied as 000000000000" in refused.output
    assert "--repair-checksums" in refused.output
    url = database_url(engine.url.database).render_as_string(hide_password=False)
    by_alembic = run_alembic("-x", f"url={url}", "downgrade", "coaching_phase3")
    assert by_alembic.returncode != 0
    assert "therapy_3nf; `therapy-db verify` says how" in by_alembic.stdout

    repaired = therapy_db(engine, "migrate", "coaching_phase3", "--no-backup", "--repair-checksums")
    assert repaired.exit_code == 0, repaired.output
    assert "Repaired  checksums of therapy_3nf" in repaired.output
    installed = History(alembic_config())
    assert recorded(engine)["therapy_3nf"] == checksums.golden_checksum(installed, "therapy_3nf")
    assert therapy_db(engine, "verify").output.count("changed history") == 0
