BEGIN;

-- Running downgrade platform_roles -> therapy_3nf, memory_normalized, coaching_phase4, clinic_integration, chat_discord

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_discord_bot') THEN
                EXECUTE format('ALTER ROLE therapy_db_discord_bot IN DATABASE %I RESET timezone', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_discord_bot IN DATABASE % RESET timezone', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_health_coach') THEN
                EXECUTE format('ALTER ROLE therapy_db_health_coach IN DATABASE %I RESET timezone', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_health_coach IN DATABASE % RESET timezone', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_discord_bot') THEN
                EXECUTE format('ALTER ROLE therapy_db_discord_bot IN DATABASE %I RESET search_path', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_discord_bot IN DATABASE % RESET search_path', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_clinic') THEN
                EXECUTE format('ALTER ROLE therapy_db_clinic IN DATABASE %I RESET search_path', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_clinic IN DATABASE % RESET search_path', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_health_coach') THEN
                EXECUTE format('ALTER ROLE therapy_db_health_coach IN DATABASE %I RESET search_path', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_health_coach IN DATABASE % RESET search_path', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_companion') THEN
                EXECUTE format('ALTER ROLE therapy_db_companion IN DATABASE %I RESET search_path', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_companion IN DATABASE % RESET search_path', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_ai_therapist') THEN
                EXECUTE format('ALTER ROLE therapy_db_ai_therapist IN DATABASE %I RESET search_path', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_ai_therapist IN DATABASE % RESET search_path', current_database();
        END
        $$;

REVOKE SELECT ON coaching.engagement_analytics, chat.metrics FROM therapy_db_analyst;

REVOKE USAGE ON SCHEMA coaching, chat FROM therapy_db_analyst;

ALTER FUNCTION auth.maintain_audit_log_partitions(integer) SECURITY INVOKER RESET search_path;

REVOKE ALL ON ALL SEQUENCES IN SCHEMA auth FROM therapy_db_app;

REVOKE ALL ON public.users, public.user_sessions, auth.clinicas, auth.sys_usuarios, auth.voice_transcripts, auth.voice_transcript_consents FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA chat REVOKE USAGE, SELECT ON SEQUENCES FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA chat REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM therapy_db_app;

REVOKE ALL ON ALL SEQUENCES IN SCHEMA chat FROM therapy_db_app;

REVOKE ALL ON ALL TABLES IN SCHEMA chat FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA coaching REVOKE USAGE, SELECT ON SEQUENCES FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA coaching REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM therapy_db_app;

REVOKE ALL ON ALL SEQUENCES IN SCHEMA coaching FROM therapy_db_app;

REVOKE ALL ON ALL TABLES IN SCHEMA coaching FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA memory REVOKE USAGE, SELECT ON SEQUENCES FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA memory REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM therapy_db_app;

REVOKE ALL ON ALL SEQUENCES IN SCHEMA memory FROM therapy_db_app;

REVOKE ALL ON ALL TABLES IN SCHEMA memory FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA therapy REVOKE USAGE, SELECT ON SEQUENCES FROM therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA therapy REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM therapy_db_app;

REVOKE ALL ON ALL SEQUENCES IN SCHEMA therapy FROM therapy_db_app;

REVOKE ALL ON ALL TABLES IN SCHEMA therapy FROM therapy_db_app;

REVOKE USAGE ON SCHEMA public, therapy, memory, coaching, auth, chat FROM therapy_db_app;

COMMIT;

