"""auth.voice_transcripts: PHI stored only with the user's consent, and only for so long."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.runtime.models.clinic import SysUsuario, VoiceTranscript, VoiceTranscriptConsent
from app.runtime.queries.clinic import (
    grant_voice_transcript_consent,
    purge_voice_transcripts,
    revoke_voice_transcript_consent,
)
from tests.clinic_staff import add_staff_member

pytestmark = pytest.mark.calendar  # retention counts days back from the database's now()


def said(session: Session, user: SysUsuario, ago: timedelta = timedelta(0), text="hola"):
    session.add(
        VoiceTranscript(
            session_id="voice-session-1",
            user_id=user.id_usuario,
            user_text=text,
            assistant_text="¿En qué le ayudo?",
            timestamp=session.scalar(sa.select(sa.func.now() - ago)),
        )
    )
    session.flush()


def transcripts_of(session: Session, user: SysUsuario) -> list[str]:
    query = sa.select(VoiceTranscript.user_text).where(VoiceTranscript.user_id == user.id_usuario)
    return list(session.scalars(query.order_by(VoiceTranscript.timestamp)))


@pytest.fixture
def consenting(session: Session) -> SysUsuario:
    user = add_staff_member(session, "dra.ibarra")
    grant_voice_transcript_consent(session, user.id_usuario)
    return user


# -- consent --------------------------------------------------------------------------------------


def test_a_transcript_of_a_user_who_never_consented_is_refused_with_a_clear_error(session):
    user = add_staff_member(session, "sin.consentimiento")
    with pytest.raises(IntegrityError) as refused:
        said(session, user)
    message = str(refused.value.orig)
    assert f"user {user.id_usuario} has not consented to storing voice transcripts" in message
    assert "auth.voice_transcript_consents" in message  # the hint: where consent is recorded


def test_a_transcript_is_stored_once_consent_is_recorded(session: Session, consenting):
    said(session, consenting, text="¿Quién es el siguiente paciente?")
    session.commit()
    assert transcripts_of(session, consenting) == ["¿Quién es el siguiente paciente?"]


def test_revoking_consent_erases_the_users_transcripts_and_refuses_new_ones(
    session: Session, consenting
):
    other = add_staff_member(session, "otro.podologo")
    grant_voice_transcript_consent(session, other.id_usuario)
    said(session, consenting)
    said(session, other)

    assert revoke_voice_transcript_consent(session, consenting.id_usuario) is True
    session.commit()

    assert transcripts_of(session, consenting) == []
    assert transcripts_of(session, other) == ["hola"]
    with pytest.raises(IntegrityError, match="revoked consent to storing voice transcripts"):
        said(session, consenting)


def test_deleting_the_consent_row_is_revoking_it(session: Session, consenting):
    said(session, consenting)
    session.execute(sa.delete(VoiceTranscriptConsent))
    assert transcripts_of(session, consenting) == []


def test_revoking_twice_or_without_consent_changes_nothing(session: Session, consenting):
    assert revoke_voice_transcript_consent(session, consenting.id_usuario) is True
    revoked_at = session.scalar(sa.select(VoiceTranscriptConsent.revoked_at))
    assert revoke_voice_transcript_consent(session, consenting.id_usuario) is False
    assert session.scalar(sa.select(VoiceTranscriptConsent.revoked_at)) == revoked_at
    assert revoke_voice_transcript_consent(session, 999_999) is False


def test_consent_can_be_given_again_after_revoking_it(session: Session, consenting):
    revoke_voice_transcript_consent(session, consenting.id_usuario)
    grant_voice_transcript_consent(session, consenting.id_usuario)
    said(session, consenting)
    assert transcripts_of(session, consenting) == ["hola"]


def test_granting_consent_again_keeps_when_it_was_first_given(session: Session, consenting):
    first = session.scalar(sa.select(VoiceTranscriptConsent.granted_at))
    session.commit()
    grant_voice_transcript_consent(session, consenting.id_usuario)
    assert session.scalar(sa.select(VoiceTranscriptConsent.granted_at)) == first


def test_deleting_a_staff_member_deletes_their_transcripts_and_consent(session, consenting):
    said(session, consenting)
    session.delete(consenting)
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(VoiceTranscript)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(VoiceTranscriptConsent)) == 0


def test_the_table_says_it_holds_phi(session: Session):
    comment = session.scalar(sa.text("SELECT obj_description('auth.voice_transcripts'::regclass)"))
    assert comment == (
        "Stores voice conversation transcripts for audit and history. "
        "Contains PII/PHI - implement retention policy."
    )


# -- retention ------------------------------------------------------------------------------------


def test_retention_removes_only_transcripts_older_than_90_days(session: Session, consenting):
    for days, text in [(400, "a"), (91, "b"), (90, "c"), (89, "d"), (0, "e")]:
        said(session, consenting, ago=timedelta(days=days, minutes=-1), text=text)
    session.commit()

    assert purge_voice_transcripts(session) == 2
    assert transcripts_of(session, consenting) == ["c", "d", "e"]
    assert purge_voice_transcripts(session) == 0


def test_retention_age_is_a_parameter(session: Session, consenting):
    for days in (31, 29):
        said(session, consenting, ago=timedelta(days=days), text=str(days))
    session.commit()
    assert purge_voice_transcripts(session, older_than=timedelta(days=30)) == 1
    assert transcripts_of(session, consenting) == ["29"]


def test_retention_deletes_in_batches_each_in_its_own_transaction(session, consenting):
    for n in range(25):
        said(session, consenting, ago=timedelta(days=100 + n), text=str(n))
    said(session, consenting, text="today")
    session.commit()
    deletes, commits = [], []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: deletes.append(args[2]))
    event.listen(session, "after_commit", lambda _: commits.append(True))

    assert purge_voice_transcripts(session, batch_size=10) == 25

    batches = [statement for statement in deletes if statement.lstrip().startswith("DELETE")]
    assert len(batches) == 3  # 10, 10, 5
    assert len(commits) == 3
    assert transcripts_of(session, consenting) == ["today"]


def test_a_revocation_racing_a_transcript_insert_erases_that_transcript_too(engine):
    with Session(engine) as setup:
        user = add_staff_member(setup, "dra.ibarra")
        grant_voice_transcript_consent(setup, user.id_usuario)
        setup.commit()
        user_id = user.id_usuario

    revoked = threading.Event()

    def revoke() -> None:
        with Session(engine) as other:
            revoke_voice_transcript_consent(other, user_id)  # waits for the insert below
            other.commit()
        revoked.set()

    with Session(engine) as inserting:
        said(inserting, inserting.get(SysUsuario, user_id))
        revoker = threading.Thread(target=revoke)
        revoker.start()
        assert not revoked.wait(timeout=0.5)
        inserting.commit()
    revoker.join(timeout=10)

    with Session(engine) as check:
        assert revoked.is_set()
        assert transcripts_of(check, check.get(SysUsuario, user_id)) == []
