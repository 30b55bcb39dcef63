BEGIN;

-- Running downgrade therapy_3nf -> therapy_legacy

DO $$
DECLARE
    configured CONSTANT text := current_setting('lock_timeout');
    longest CONSTANT interval := nullif(configured, '0')::interval;
    attempt integer := 1;
BEGIN
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', ceil(1000 * extract(epoch FROM
                least(interval '100 ms' * 2 ^ (attempt - 1), longest))) || 'ms', true);
            LOCK TABLE therapy.conversation_logs IN ACCESS EXCLUSIVE MODE;
            LOCK TABLE public.users IN ACCESS EXCLUSIVE MODE;
            EXIT;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            IF attempt >= 10 THEN
                RAISE;
            END IF;
            RAISE WARNING 'therapy-db: tables busy (%), attempt % of 10; retrying',
                SQLERRM, attempt;
        END;
        PERFORM pg_sleep(random() * least(0.05 * 2 ^ attempt, 2));
        attempt := attempt + 1;
    END LOOP;
    PERFORM set_config('lock_timeout', configured, true);
END
$$;

REVOKE SELECT ON therapy.therapy_sessions, therapy.session_configurations, therapy.messages, therapy.conversation_logs FROM therapy_db_therapist;

REVOKE USAGE ON SCHEMA therapy FROM therapy_db_therapist, therapy_db_researcher;

DROP VIEW therapy.sessions_redacted;

DROP VIEW therapy.messages_redacted;

DROP TABLE public.user_sessions;

DROP TRIGGER read_only ON therapy.conversation_logs;

DROP FUNCTION therapy.refuse_conversation_log_writes();

COMMENT ON TABLE therapy.conversation_logs IS NULL;

SET LOCAL work_mem = '256MB';

SET LOCAL maintenance_work_mem = '1GB';

WITH top AS (  -- the free ids above the highest one (from 1 in an empty log)
            SELECT coalesce(max(id), 0)::numeric + 1 AS first,
                   2147483647 - coalesce(max(id), 0)::numeric AS length
            FROM therapy.conversation_logs
        ),
        runs AS (  -- runs of free ids, and how many ids come before each: the ids above the
                   -- highest, then (only where those are too few) the gaps below it
            SELECT * FROM (
                SELECT first, length, sum(length) OVER (ORDER BY rank, first) - length AS before
                FROM (
                    SELECT first, length, 0 AS rank FROM top
                    UNION ALL
                    SELECT id + 1, lead(id) OVER (ORDER BY id) - id - 1, 1
                    FROM (SELECT id::numeric FROM therapy.conversation_logs
                          UNION ALL VALUES (-2147483649)) used
                    WHERE (SELECT length FROM top) < (SELECT count(*) FROM therapy.messages)
                ) run
                WHERE length > 0) placed
            WHERE before < (SELECT count(*) FROM therapy.messages)
        ),
        sessions AS MATERIALIZED (
            SELECT session_id,
                   jsonb_build_object(
                       'user_id', user_id, 'session_name', session_name, 'status', status,
                       'created_at', created_at, 'ended_at', ended_at) AS details
            FROM therapy.therapy_sessions
        ),
        folded AS (
            SELECT m.*, row_number() OVER (ORDER BY m.created_at, m.message_id) - 1 AS n
            FROM therapy.messages m
        )
        INSERT INTO therapy.conversation_logs
            (id, session_id, role, message_type, message, extras, created_at)
        SELECT (r.first + m.n - r.before)::integer,
               m.session_id::text, m.role, m.message_type, m.content_redacted,
               jsonb_build_object(
                   'metadata', m.metadata,
                   'folded_back_from', 'therapy_3nf',
                   'message_id', m.message_id,
                   'session', s.details),
               m.created_at
        FROM folded m
        JOIN sessions s USING (session_id)
        JOIN runs r ON m.n >= r.before AND m.n < r.before + r.length;

SELECT setval('therapy.conversation_logs_id_seq', max(id))
        FROM therapy.conversation_logs
        HAVING max(id) > coalesce(pg_sequence_last_value('therapy.conversation_logs_id_seq'), 0);

DROP TABLE therapy.messages;

DROP TABLE therapy.session_configurations;

DROP TABLE therapy.therapy_sessions;

COMMIT;

