BEGIN;

-- Running downgrade clinic_legacy -> platform

DELETE FROM public.migration_reconciliation WHERE revision = 'import:clinic';

DELETE FROM public.import_rejects WHERE context = 'clinic';

DROP TABLE IF EXISTS auth.audit_log_overflow;

DROP TABLE auth.audit_log;

DROP TABLE auth.sys_usuarios;

DROP TABLE auth.clinicas;

COMMIT;

