"""A service that installs the built wheel (not the checkout), as a service's requirements would,
migrates a scratch database with the installed `therapy-db`, imports the models and runs its own
tests with the plugin (`-p app.runtime.testing`) against a server given by URL."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support import ROOT, command_env

SERVICE_TEST = """
import sqlalchemy as sa

from app.runtime.models.coaching import Conversation
from app.runtime.models.identity import User


def test_a_person_with_a_goal_is_stored_and_read_back(therapy_db_session):
    person = User(email="dana@example.org", external_auth_id="fb-dana")
    therapy_db_session.add(person)
    therapy_db_session.flush()
    therapy_db_session.add(Conversation(user_id=person.id, title="week 1"))
    therapy_db_session.commit()
    found = therapy_db_session.scalar(sa.select(User).where(User.email == "dana@example.org"))
    assert found.id == person.id


def test_every_test_gets_a_fresh_database(therapy_db_session):
    assert therapy_db_session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
"""


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=cwd, env=command_env(**env), capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv with the built wheel and its `testing` extra installed: its bin directory."""
    work = tmp_path_factory.mktemp("service")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work), str(ROOT),
        cwd=work)  # fmt: skip
    wheel = next(work.glob("therapy_db-*.whl"))
    run(sys.executable, "-m", "venv", str(work / "venv"), cwd=work)
    pip = work / "venv" / "bin" / "pip"
    run(str(pip), "install", "--quiet", "--disable-pip-version-check", f"{wheel}[testing]",
        cwd=work)  # fmt: skip
    return work / "venv" / "bin"


def test_a_service_migrates_with_the_installed_command_and_tests_with_the_plugin(
    installed: Path, empty_engine: Engine, pg_server, tmp_path
):
    socket = pg_server.socket_dir
    url = f"postgresql://postgres@/{empty_engine.url.database}?host={socket}"
    run(str(installed / "therapy-db"), "migrate", "head", "--no-backup", cwd=tmp_path,
        DATABASE_URL=url)  # fmt: skip
    status = run(str(installed / "therapy-db"), "status", cwd=tmp_path, DATABASE_URL=url)
    assert "Models    in sync with the database" in status.stdout
    with empty_engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == (
            "platform_roles"
        )
    assert not (tmp_path / ".pgdata").exists()

    service = tmp_path / "service"
    service.mkdir()
    (service / "test_service.py").write_text(textwrap.dedent(SERVICE_TEST))
    tested = run(
        str(installed / "python"), "-m", "pytest", "-p", "app.runtime.testing", "-q",
        f"--therapy-db-url=postgresql://postgres@/postgres?host={socket}", str(service),
        cwd=tmp_path,
    )  # fmt: skip
    assert "2 passed" in tested.stdout


def test_without_a_url_or_the_embedded_extra_a_command_says_what_to_do(installed: Path, tmp_path):
    result = subprocess.run(
        [str(installed / "therapy-db"), "status"],
        cwd=tmp_path,
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: DATABASE_URL is not set and the embedded server is not installed: set "
        "DATABASE_URL, or pip install 'therapy-db[embedded]'"
    )
