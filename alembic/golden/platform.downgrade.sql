BEGIN;

-- Running downgrade platform -> 

DROP TABLE public.identity_links;

DROP TABLE public.import_rejects;

DROP TABLE public.migration_reconciliation;

DROP TABLE public.users;

DROP FUNCTION public.set_updated_at();

DROP SCHEMA chat;

DROP SCHEMA auth;

DROP SCHEMA coaching;

DROP SCHEMA memory;

DROP SCHEMA therapy;

COMMIT;

