-- The clinic back office's own database (clinica_auth_db), as its DDL created it: schema auth,
-- identities GENERATED ALWAYS, an audit log partitioned by month (the system kept adding months
-- past those this project's legacy shape knows), and the looser rules of its first version:
-- clinicas.activa and sys_usuarios.nombre_usuario may be NULL.
CREATE SCHEMA auth;

CREATE TABLE auth.clinicas (
    id_clinica bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nombre text NOT NULL,
    rfc varchar(13),
    activa boolean DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.sys_usuarios (
    id_usuario bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nombre_usuario text UNIQUE CHECK (length(nombre_usuario) BETWEEN 3 AND 50),
    password_hash text NOT NULL,
    rol text NOT NULL CHECK (rol IN ('Admin', 'Podologo', 'Recepcion')),
    activo boolean NOT NULL DEFAULT true,
    clinica_id bigint REFERENCES auth.clinicas (id_clinica),
    email text UNIQUE,
    last_login timestamptz,
    failed_login_attempts integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.audit_log (
    id_log bigint GENERATED ALWAYS AS IDENTITY,
    tabla_afectada text NOT NULL,
    registro_id bigint NOT NULL,
    accion text NOT NULL CHECK (accion IN ('INSERT', 'UPDATE', 'DELETE', 'LOGIN_EXITOSO',
        'LOGIN_FALLIDO', 'LOGIN_USUARIO_INACTIVO', 'LOGOUT', 'PASSWORD_CHANGE')),
    usuario_id bigint REFERENCES auth.sys_usuarios (id_usuario),
    timestamp_accion timestamptz NOT NULL DEFAULT now(),
    datos_anteriores jsonb,
    datos_nuevos jsonb,
    ip_address inet,
    PRIMARY KEY (id_log, timestamp_accion)
) PARTITION BY RANGE (timestamp_accion);

DO $$
DECLARE
    month date;
BEGIN
    FOR month IN SELECT generate_series(date '2024-12-01', date '2026-02-01', interval '1 month')
    LOOP
        EXECUTE format(
            'CREATE TABLE auth.%I PARTITION OF auth.audit_log FOR VALUES FROM (%L) TO (%L)',
            'audit_log_' || to_char(month, 'YYYY_MM'),
            (month::timestamp AT TIME ZONE 'UTC'),
            ((month + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
    END LOOP;
END
$$;

CREATE INDEX idx_audit_log_tabla_registro ON auth.audit_log (tabla_afectada, registro_id);
CREATE INDEX idx_audit_log_usuario ON auth.audit_log (usuario_id);
CREATE INDEX idx_audit_log_timestamp ON auth.audit_log (timestamp_accion DESC);
