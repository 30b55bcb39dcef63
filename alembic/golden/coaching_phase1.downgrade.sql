BEGIN;

-- Running downgrade coaching_phase1 -> platform

DELETE FROM public.migration_reconciliation WHERE revision = 'import:coaching';

DELETE FROM public.import_rejects WHERE context = 'coaching';

DROP TABLE coaching.messages;

DROP TABLE coaching.conversations;

DROP FUNCTION coaching.app_id(text);

DROP TYPE coaching.message_role;

COMMIT;

