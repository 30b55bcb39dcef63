BEGIN;

-- Running upgrade platform -> coaching_phase1

CREATE TYPE coaching.message_role AS ENUM ('user', 'assistant', 'system');

CREATE FUNCTION coaching.app_id(prefix text) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT prefix || '_' || left(replace(gen_random_uuid()::text, '-', ''), 12)
$$;

CREATE TABLE coaching.conversations (
    id VARCHAR DEFAULT coaching.app_id('conv') NOT NULL, 
    user_id VARCHAR, 
    title VARCHAR, 
    message_count INTEGER DEFAULT '0' NOT NULL, 
    metadata JSON, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT pk_conversations PRIMARY KEY (id)
);

CREATE INDEX ix_conversations_user_id ON coaching.conversations (user_id);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "coaching"."conversations" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE coaching.messages (
    id VARCHAR DEFAULT coaching.app_id('msg') NOT NULL, 
    conversation_id VARCHAR NOT NULL, 
    role coaching.message_role NOT NULL, 
    content TEXT NOT NULL, 
    metadata JSON, 
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, 
    CONSTRAINT pk_messages PRIMARY KEY (id), 
    CONSTRAINT fk_messages_conversation_id_conversations FOREIGN KEY(conversation_id) REFERENCES coaching.conversations (id) ON DELETE CASCADE
);

CREATE INDEX ix_messages_conversation_id_created_at ON coaching.messages (conversation_id, created_at);

CREATE TRIGGER set_updated_at BEFORE UPDATE ON "coaching"."messages" FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

COMMIT;

