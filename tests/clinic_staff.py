"""Staff members for the clinic tests: the people audit rows and transcripts belong to."""

from sqlalchemy.orm import Session

from app.runtime.models.clinic import Clinica, SysUsuario


def add_staff_member(session: Session, nombre_usuario: str, rol: str = "Podologo") -> SysUsuario:
    clinic = Clinica(nombre=f"Clínica de {nombre_usuario}")
    session.add(clinic)
    session.flush()
    member = SysUsuario(
        nombre_usuario=nombre_usuario,
        password_hash="$2b$12$placeholder",
        rol=rol,
        clinica_id=clinic.id_clinica,
    )
    session.add(member)
    session.flush()
    return member
