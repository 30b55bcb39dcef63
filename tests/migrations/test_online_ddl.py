"""How revisions take locks on tables with traffic (app.ddl): retried, and indexes built online."""

import threading
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.migrations.roundtrip import catalog
from tests.support import upgrade

BLOCKED_FOR = 3.0  # seconds an application transaction keeps chat.sessions busy


def probe_stalls(engine: Engine, stop: threading.Event, stalls: list[float]) -> None:
    """An application reading chat.sessions in a loop: how long each read took."""
    with engine.connect() as connection:
        while not stop.is_set():
            started = time.monotonic()
            connection.execute(sa.text("SELECT count(*) FROM chat.sessions"))
            connection.commit()
            stalls.append(time.monotonic() - started)
            time.sleep(0.01)


def test_a_revision_waits_out_a_long_transaction_in_short_attempts(databases):
    with databases.at("chat_legacy") as engine, engine.connect() as application:
        # A long application transaction holds chat.sessions (a report, a stuck request).
        application.execute(sa.text("SELECT count(*) FROM chat.sessions"))
        release = threading.Timer(BLOCKED_FOR, application.commit)
        stop, stalls = threading.Event(), []
        reader = threading.Thread(target=probe_stalls, args=(engine, stop, stalls))
        release.start()
        reader.start()
        try:
            started = time.monotonic()
            upgrade(engine, "chat_discord")
            took = time.monotonic() - started
        finally:
            release.join()
            stop.set()
            reader.join()

    assert took >= BLOCKED_FOR - 0.2, "the revision did not wait for the application"
    # A DDL statement queued for the whole time would have stalled every reader that long; the
    # attempts give up and let readers through in between.
    assert max(stalls) < BLOCKED_FOR - 1, f"readers stalled {max(stalls):.2f} s"


def test_an_interrupted_concurrent_index_build_is_finished_by_the_next_run(databases):
    with databases.at("chat_legacy") as engine, databases.at("chat_discord") as reference:
        with engine.begin() as connection:
            # What a run interrupted during chat_discord's concurrent builds leaves: one index
            # built (valid), one INVALID (its build was cancelled), the rest not started.
            connection.execute(sa.text("CREATE INDEX idx_sessions_owner ON chat.sessions (origin)"))
            connection.execute(
                sa.text("CREATE INDEX idx_sessions_origin ON chat.sessions (origin)")
            )
            connection.execute(
                sa.text(
                    "UPDATE pg_index SET indisvalid = false "
                    "WHERE indexrelid = 'chat.idx_sessions_owner'::regclass"
                )
            )
        upgrade(engine, "chat_discord")

        assert catalog(engine) == catalog(reference)
        with engine.connect() as connection:
            invalid = connection.scalars(
                sa.text("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid")
            ).all()
        assert invalid == []
