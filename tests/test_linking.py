"""`therapy-db link`: one person known to two source systems becomes one, on purpose only."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.runtime.models import chat, coaching, identity
from tests.test_cli import therapy_db


def discord_person(session: Session, discord_id: int, label: str) -> identity.User:
    """Someone the chat bot knows, with a chat session."""
    person = identity.User(discord_id=discord_id, display_label=label)
    session.add(person)
    session.flush()
    session.add(chat.ChatSession(owner_user_id=person.id, origin="discord"))
    return person


def coached_person(session: Session, auth_id: str, email: str) -> identity.User:
    """Someone the health coach knows, with a conversation."""
    person = identity.User(external_auth_id=auth_id, email=email, first_name="Dana")
    session.add(person)
    session.flush()
    session.add(coaching.Conversation(user_id=person.id, title="week 1"))
    return person


def owners(engine: Engine) -> dict[str, set[str]]:
    with engine.connect() as connection:
        return {
            "chat": set(
                connection.scalars(sa.text("SELECT owner_user_id::text FROM chat.sessions"))
            ),
            "coaching": set(
                connection.scalars(sa.text("SELECT user_id::text FROM coaching.conversations"))
            ),
        }


def test_linking_makes_the_two_systems_people_one_with_every_row_and_both_keys(
    engine: Engine, session: Session
):
    coached = coached_person(session, "fb-dana", "dana@example.org")
    chatting = discord_person(session, 4242, "Dana#1")
    session.commit()
    kept, merged = str(coached.id), str(chatting.id)

    result = therapy_db(engine, "link", "dana@example.org", "4242", "--note", "same phone")
    assert result.exit_code == 0, result.output
    assert f"Linked    {merged} into {kept}: 1 rows moved" in result.output

    assert owners(engine) == {"chat": {kept}, "coaching": {kept}}
    with engine.connect() as connection:
        person = connection.execute(
            sa.text("SELECT * FROM public.users WHERE id = :id"), {"id": kept}
        ).one()
        assert (person.discord_id, person.display_label, person.external_auth_id) == (
            4242,
            "Dana#1",
            "fb-dana",
        )
        assert connection.scalar(sa.text("SELECT count(*) FROM public.users")) == 1
        link = connection.execute(sa.text("SELECT * FROM public.identity_links")).one()
        assert (str(link.merged_user_id), link.merged_row["discord_id"], link.note) == (
            merged,
            4242,
            "same phone",
        )
    verified = therapy_db(engine, "export-user", kept)
    assert '"public.identity_links"' in verified.output and '"chat.sessions"' in verified.output


def test_two_accounts_of_one_system_are_not_linked_and_nothing_changes(
    engine: Engine, session: Session
):
    first = discord_person(session, 1, "one")
    discord_person(session, 2, "two")
    session.commit()
    before = owners(engine)
    result = therapy_db(engine, "link", str(first.id), "2")
    assert result.exit_code == 1
    assert "both have discord_id (1 and 2): two accounts of one system" in result.output
    assert owners(engine) == before


def test_a_mapping_links_every_pair_or_none(engine: Engine, session: Session, tmp_path):
    coached_person(session, "fb-a", "a@example.org")
    discord_person(session, 10, "a")
    coached_person(session, "fb-b", "b@example.org")
    discord_person(session, 11, "b")
    discord_person(session, 12, "b again")
    session.commit()
    mapping = tmp_path / "people.csv"
    mapping.write_text(
        "# kept,merged,note\na@example.org,10,same person\nb@example.org,11\n11,12\n"
    )
    refused = therapy_db(engine, "link", "--mapping", str(mapping))
    assert refused.exit_code == 1
    assert "pair 3: " in refused.output and "nothing was linked" in refused.output
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM public.users")) == 5

    mapping.write_text("a@example.org,10,same person\nb@example.org,11\n")
    linked = therapy_db(engine, "link", "--mapping", str(mapping))
    assert linked.exit_code == 0, linked.output
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM public.users")) == 3
        assert connection.execute(
            sa.text(
                "SELECT source_rows, moved_rows FROM public.migration_reconciliation "
                "WHERE revision = 'link'"
            )
        ).one() == (2, 2)
