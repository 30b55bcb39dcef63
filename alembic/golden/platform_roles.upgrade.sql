BEGIN;

-- Running upgrade therapy_3nf, memory_normalized, coaching_phase4, clinic_integration, chat_discord -> platform_roles

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_app') THEN
                CREATE ROLE therapy_db_app NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object THEN
            NULL;  -- created at the same moment by a migration of another database
        END
        $$;

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_analyst') THEN
                CREATE ROLE therapy_db_analyst NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object THEN
            NULL;  -- created at the same moment by a migration of another database
        END
        $$;

GRANT USAGE ON SCHEMA public, therapy, memory, coaching, auth, chat TO therapy_db_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA therapy TO therapy_db_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA therapy TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA therapy GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA therapy GRANT USAGE, SELECT ON SEQUENCES TO therapy_db_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA memory TO therapy_db_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA memory TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA memory GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA memory GRANT USAGE, SELECT ON SEQUENCES TO therapy_db_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA coaching TO therapy_db_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA coaching TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA coaching GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA coaching GRANT USAGE, SELECT ON SEQUENCES TO therapy_db_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA chat TO therapy_db_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA chat TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA chat GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO therapy_db_app;

ALTER DEFAULT PRIVILEGES IN SCHEMA chat GRANT USAGE, SELECT ON SEQUENCES TO therapy_db_app;

REVOKE INSERT, UPDATE, DELETE ON therapy.conversation_logs FROM therapy_db_app;

REVOKE ALL ON coaching.migration_rejects, coaching.backfilled_users, memory.memory_profiles_rejected, memory.conversations_rejected, memory.conversation_messages_rejected, memory.crisis_flags_rejected, memory.conversation_continuity_rejected, memory.feedback_rejected, memory.feedback_log_rejected, memory.user_preferences_rejected, memory.emotional_trends_rejected, memory.value_compass_rejected, memory.user_profile_legacy_values, memory.legacy_nulls FROM therapy_db_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON public.users, public.user_sessions, auth.clinicas, auth.sys_usuarios, auth.voice_transcripts, auth.voice_transcript_consents TO therapy_db_app;

GRANT SELECT, INSERT ON auth.audit_log TO therapy_db_app;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA auth TO therapy_db_app;

ALTER FUNCTION auth.maintain_audit_log_partitions(integer) SECURITY DEFINER SET search_path = auth, pg_temp;

DO $$
        BEGIN
            IF NOT pg_has_role('therapy_db_analyst', 'therapy_db_researcher', 'MEMBER') THEN
                GRANT therapy_db_researcher TO therapy_db_analyst;
            END IF;
        END
        $$;

GRANT USAGE ON SCHEMA coaching, chat TO therapy_db_analyst;

GRANT SELECT ON coaching.engagement_analytics, chat.metrics TO therapy_db_analyst;

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_ai_therapist') THEN
                CREATE ROLE therapy_db_ai_therapist LOGIN;
            END IF;
            IF NOT pg_has_role('therapy_db_ai_therapist', 'therapy_db_app', 'MEMBER') THEN
                GRANT therapy_db_app TO therapy_db_ai_therapist;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: CREATE ROLE therapy_db_ai_therapist LOGIN; '
                          'GRANT therapy_db_app TO therapy_db_ai_therapist; ALTER ROLE therapy_db_ai_therapist IN DATABASE % '
                          'SET search_path = therapy, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_ai_therapist') THEN
                EXECUTE format('ALTER ROLE therapy_db_ai_therapist IN DATABASE %I SET search_path = therapy, public', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_ai_therapist IN DATABASE % SET search_path = therapy, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_companion') THEN
                CREATE ROLE therapy_db_companion LOGIN;
            END IF;
            IF NOT pg_has_role('therapy_db_companion', 'therapy_db_app', 'MEMBER') THEN
                GRANT therapy_db_app TO therapy_db_companion;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: CREATE ROLE therapy_db_companion LOGIN; '
                          'GRANT therapy_db_app TO therapy_db_companion; ALTER ROLE therapy_db_companion IN DATABASE % '
                          'SET search_path = memory, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_companion') THEN
                EXECUTE format('ALTER ROLE therapy_db_companion IN DATABASE %I SET search_path = memory, public', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_companion IN DATABASE % SET search_path = memory, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_health_coach') THEN
                CREATE ROLE therapy_db_health_coach LOGIN;
            END IF;
            IF NOT pg_has_role('therapy_db_health_coach', 'therapy_db_app', 'MEMBER') THEN
                GRANT therapy_db_app TO therapy_db_health_coach;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: CREATE ROLE therapy_db_health_coach LOGIN; '
                          'GRANT therapy_db_app TO therapy_db_health_coach; ALTER ROLE therapy_db_health_coach IN DATABASE % '
                          'SET search_path = coaching, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_health_coach') THEN
                EXECUTE format('ALTER ROLE therapy_db_health_coach IN DATABASE %I SET search_path = coaching, public', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_health_coach IN DATABASE % SET search_path = coaching, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_clinic') THEN
                CREATE ROLE therapy_db_clinic LOGIN;
            END IF;
            IF NOT pg_has_role('therapy_db_clinic', 'therapy_db_app', 'MEMBER') THEN
                GRANT therapy_db_app TO therapy_db_clinic;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: CREATE ROLE therapy_db_clinic LOGIN; '
                          'GRANT therapy_db_app TO therapy_db_clinic; ALTER ROLE therapy_db_clinic IN DATABASE % '
                          'SET search_path = auth, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_clinic') THEN
                EXECUTE format('ALTER ROLE therapy_db_clinic IN DATABASE %I SET search_path = auth, public', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_clinic IN DATABASE % SET search_path = auth, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_discord_bot') THEN
                CREATE ROLE therapy_db_discord_bot LOGIN;
            END IF;
            IF NOT pg_has_role('therapy_db_discord_bot', 'therapy_db_app', 'MEMBER') THEN
                GRANT therapy_db_app TO therapy_db_discord_bot;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: CREATE ROLE therapy_db_discord_bot LOGIN; '
                          'GRANT therapy_db_app TO therapy_db_discord_bot; ALTER ROLE therapy_db_discord_bot IN DATABASE % '
                          'SET search_path = chat, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_discord_bot') THEN
                EXECUTE format('ALTER ROLE therapy_db_discord_bot IN DATABASE %I SET search_path = chat, public', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_discord_bot IN DATABASE % SET search_path = chat, public', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_health_coach') THEN
                EXECUTE format('ALTER ROLE therapy_db_health_coach IN DATABASE %I SET timezone = UTC', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_health_coach IN DATABASE % SET timezone = UTC', current_database();
        END
        $$;

DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_db_discord_bot') THEN
                EXECUTE format('ALTER ROLE therapy_db_discord_bot IN DATABASE %I SET timezone = UTC', current_database());
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'therapy-db: a DBA must run once: '
                          'ALTER ROLE therapy_db_discord_bot IN DATABASE % SET timezone = UTC', current_database();
        END
        $$;

COMMIT;

