"""Numbered, append-only migrations: the list index is the version.

Never edit or delete an applied migration; retire one by replacing it with ``SELECT 1;``.
"""

from __future__ import annotations

from persistence.pool import Pool

MIGRATIONS: list[str] = [
    # 0: version bookkeeping
    """CREATE TABLE IF NOT EXISTS approvals_migrations (v integer PRIMARY KEY);""",
    # 1: runs, one per LangGraph thread started through the bot
    """CREATE TABLE runs (
        thread_id text PRIMARY KEY,
        graph text NOT NULL,
        input jsonb NOT NULL,
        channel text,
        requested_by text,
        status text NOT NULL DEFAULT 'running',
        slack_thread_ts text,
        outcome jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
    );""",
    # 2: requests, one per interrupt; a request stays open until it is resumed
    """CREATE TABLE requests (
        id bigserial PRIMARY KEY,
        thread_id text NOT NULL REFERENCES runs(thread_id),
        interrupt_id text NOT NULL,
        value_hash text NOT NULL,
        request jsonb NOT NULL,
        policy jsonb NOT NULL,
        channel text NOT NULL,
        message_ts text,
        quorum_ts text,
        status text NOT NULL DEFAULT 'pending',
        resume_value jsonb,
        post_lease_until timestamptz,
        post_attempts integer NOT NULL DEFAULT 0,
        render_needed boolean NOT NULL DEFAULT false,
        expires_at timestamptz,
        remind_at timestamptz,
        reminded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        resumed_at timestamptz,
        resume_attempts integer NOT NULL DEFAULT 0,
        last_error text
    );
    CREATE UNIQUE INDEX requests_open_interrupt ON requests (thread_id, interrupt_id)
        WHERE resumed_at IS NULL AND status <> 'failed';
    CREATE INDEX requests_status ON requests (status);""",
    # 3: approvals, one per action of a request (a batch of tool calls has several)
    """CREATE TABLE approvals (
        id bigserial PRIMARY KEY,
        request_id bigint NOT NULL REFERENCES requests(id),
        idx integer NOT NULL,
        action jsonb NOT NULL,
        args jsonb NOT NULL,
        round integer NOT NULL DEFAULT 1,
        status text NOT NULL DEFAULT 'pending',
        decision jsonb,
        UNIQUE (request_id, idx)
    );
    CREATE TABLE votes (
        id bigserial PRIMARY KEY,
        approval_id bigint NOT NULL REFERENCES approvals(id),
        round integer NOT NULL,
        user_id text NOT NULL,
        kind text NOT NULL,
        args jsonb NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (approval_id, round, user_id)
    );""",
    # 4: the append-only audit log
    """CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        thread_id text,
        request_id bigint,
        approval_id bigint,
        event text NOT NULL,
        actor text,
        at timestamptz NOT NULL DEFAULT now(),
        args_before jsonb,
        args_after jsonb,
        reason text,
        detail jsonb
    );
    CREATE INDEX audit_log_thread ON audit_log (thread_id, id);""",
    # the policy a request was posted with, kept when an edit's arguments tighten `policy`
    """ALTER TABLE requests ADD COLUMN policy_initial jsonb;""",
    # buttons now name a version (approval:round:digest): redraw open requests' messages
    """UPDATE requests SET render_needed = true
       WHERE status = 'pending' AND message_ts IS NOT NULL;""",
    # durable per-thread leases: the fence one resume holds on a thread's checkpoint chain
    """CREATE TABLE thread_leases (
        thread_id text PRIMARY KEY,
        owner text,
        epoch bigint NOT NULL,
        expires_at timestamptz NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
    );""",
    # per-row sweeper failures: a failing row is backed off, then marked failed
    """ALTER TABLE requests ADD COLUMN sweep_attempts integer NOT NULL DEFAULT 0;
    ALTER TABLE requests ADD COLUMN sweep_retry_at timestamptz;""",
    # runs that live on a LangGraph Server: which runner drives a run, its assistant, and
    # the shared schedule of the server poll (one instance polls per tick)
    """ALTER TABLE runs ADD COLUMN runner text NOT NULL DEFAULT 'local';
    ALTER TABLE runs ADD COLUMN assistant_id text;
    CREATE TABLE remote_polls (
        name text PRIMARY KEY,
        next_at timestamptz NOT NULL DEFAULT now(),
        polled_by text
    );""",
    # reaching people: repeated reminders, escalation, overdue requests that wait, and
    # the direct messages that carry a request to each approver
    """ALTER TABLE requests ADD COLUMN reminders_sent integer NOT NULL DEFAULT 0,
        ADD COLUMN escalated_at timestamptz,
        ADD COLUMN overdue_at timestamptz,
        ADD COLUMN dms_sent_at timestamptz;
    UPDATE requests SET reminders_sent = 1 WHERE reminded_at IS NOT NULL;
    CREATE TABLE request_dms (
        request_id bigint NOT NULL REFERENCES requests(id),
        user_id text NOT NULL,
        channel text,
        ts text,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (request_id, user_id)
    );""",
    # indexes that fit the inbox's and the sweeper's queries, so their cost stays flat as
    # open requests pile up (each query reads its partial index in the order it needs)
    """CREATE INDEX IF NOT EXISTS requests_open_posted ON requests (created_at, id)
        WHERE status = 'pending' AND message_ts IS NOT NULL;
    CREATE INDEX IF NOT EXISTS requests_pending_expiry ON requests (expires_at)
        WHERE status = 'pending';
    CREATE INDEX IF NOT EXISTS requests_pending_reminder ON requests (remind_at)
        WHERE status = 'pending' AND message_ts IS NOT NULL;
    CREATE INDEX IF NOT EXISTS requests_decided ON requests (id)
        WHERE status = 'decided';
    CREATE INDEX IF NOT EXISTS requests_unposted ON requests (id)
        WHERE message_ts IS NULL AND status = 'pending';
    CREATE INDEX IF NOT EXISTS requests_unrendered ON requests (id)
        WHERE render_needed AND message_ts IS NOT NULL;
    CREATE INDEX IF NOT EXISTS runs_running ON runs (updated_at)
        WHERE status = 'running';
    CREATE INDEX IF NOT EXISTS requests_escalation_due ON requests (id)
        WHERE status = 'pending' AND escalated_at IS NULL AND message_ts IS NOT NULL
          AND (policy->>'escalate_after_s') IS NOT NULL;
    CREATE INDEX IF NOT EXISTS requests_dms_due ON requests (id)
        WHERE status = 'pending' AND message_ts IS NOT NULL AND dms_sent_at IS NULL
          AND policy->>'notify' = 'dm';""",
    # who might decide an open request, as an indexed array (a user id, '*' for anyone,
    # '@group' when a user group is named), so a person's pending list finds theirs
    # without reading every open request. PARALLEL UNSAFE keeps the inbox's short reads
    # off parallel workers, whose start costs more than the read.
    """CREATE OR REPLACE FUNCTION approvals_deciders(policy jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $fn$
    SELECT CASE WHEN coalesce(jsonb_array_length(policy->'approvers'), 0) = 0 THEN ARRAY['*']
           ELSE ARRAY(SELECT CASE WHEN a LIKE 'S%' THEN '@group' ELSE a END
                      FROM jsonb_array_elements_text(policy->'approvers') a) END
    $fn$;
    CREATE INDEX IF NOT EXISTS requests_open_deciders ON requests
        USING gin (approvals_deciders(policy))
        WHERE status = 'pending' AND message_ts IS NOT NULL;""",
    # the fence as one statement that fails when it no longer holds, so a fenced write
    # can go out with its check in one pipeline: the failure aborts the writes behind it.
    # FOR SHARE: a takeover (an UPDATE of the lease) waits for the write to commit. (No
    # line of the body ends in ";": that is where ``statements`` splits a migration.)
    """CREATE OR REPLACE FUNCTION approvals_hold_fence(thread text, holder text, at bigint)
    RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN
        PERFORM 1 FROM thread_leases
            WHERE thread_id = thread AND owner = holder AND epoch = at FOR SHARE; IF NOT
        FOUND THEN RAISE EXCEPTION 'lease on thread % (epoch %) was taken over', thread, at
            USING ERRCODE = 'AP001'; END IF; END $fn$;""",
    # each action of a batch is judged by its own policy (and what it was posted with);
    # a server thread's requester as its metadata claims it, never taken as the requester
    """ALTER TABLE approvals ADD COLUMN policy jsonb, ADD COLUMN policy_initial jsonb;
    UPDATE approvals a SET policy = r.policy FROM requests r WHERE r.id = a.request_id;
    ALTER TABLE runs ADD COLUMN claimed_by text;
    ALTER TABLE requests ADD COLUMN channel_failed_at timestamptz;""",
    # OpenAI Agents SDK runs: each RunState.to_json() the run stopped at, versioned per
    # run; ``pending`` is what it asks (null once finished), ``expect`` the edited calls
    # the model is told to issue again, approved without asking when they match exactly.
    """CREATE TABLE IF NOT EXISTS agent_states (
        thread_id text NOT NULL,
        version integer NOT NULL,
        state jsonb NOT NULL,
        pending jsonb,
        final_output jsonb,
        expect jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (thread_id, version)
    );""",
    # the approvals API: one row per request made over HTTP (its run is ``external``),
    # with its idempotency key, the decision delivered to the caller and the state of
    # its signed callback, retried with backoff by the sweeper until a 2xx or a deadline
    """CREATE TABLE api_requests (
        id text PRIMARY KEY,
        seq bigserial UNIQUE,
        thread_id text NOT NULL UNIQUE REFERENCES runs(thread_id),
        idempotency_key text UNIQUE,
        body_hash text NOT NULL,
        payload jsonb NOT NULL,
        response_schema jsonb,
        status text NOT NULL DEFAULT 'pending',
        decision jsonb,
        cause text,
        decided_at timestamptz,
        callback_url text,
        callback_status text,
        callback_attempts integer NOT NULL DEFAULT 0,
        callback_next_at timestamptz,
        callback_deadline timestamptz,
        callback_error text,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX api_requests_status ON api_requests (status, seq);
    CREATE INDEX api_requests_callbacks_due ON api_requests (callback_next_at)
        WHERE callback_status = 'pending';""",
    # LangGraph Server discovery: the newest change a tick has read (its watermark), the
    # reconciliation's place, and since when a cut tick left work for it
    """ALTER TABLE remote_polls ADD COLUMN watermark timestamptz,
        ADD COLUMN cursor jsonb,
        ADD COLUMN behind_since timestamptz,
        ADD COLUMN ticked_at timestamptz;""",
    # a tamper-evident audit log: each row's SHA-256 covers its content and the previous
    # row's hash in its chain (one chain per thread), the chain's head kept per chain (the
    # row lock that orders two rows of one chain, and what an export hands out); existing
    # rows are chained in id order. (No line of a body ends in ";", see above.)
    """ALTER TABLE audit_log ADD COLUMN policy jsonb,
        ADD COLUMN chain text, ADD COLUMN seq bigint,
        ADD COLUMN prev_hash text, ADD COLUMN hash text;
    CREATE TABLE audit_heads (
        chain text PRIMARY KEY,
        seq bigint NOT NULL,
        prev_hash text,
        hash text NOT NULL
    );
    CREATE TABLE audit_verified (
        chain text PRIMARY KEY,
        seq bigint,
        ok boolean NOT NULL,
        problem text,
        verified_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE OR REPLACE FUNCTION approvals_audit_content(
        text, bigint, bigint, text, text, timestamptz, jsonb, jsonb, text, jsonb, jsonb
    ) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT jsonb_build_array($1, $2, $3, $4, $5,
        to_char($6 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        $7, $8, $9, $10, $11)::text
    $fn$;
    CREATE OR REPLACE FUNCTION approvals_audit_hash(prev text, content text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT encode(sha256(convert_to(coalesce(prev, '') || content, 'UTF8')), 'hex')
    $fn$;
    WITH RECURSIVE ordered AS (
        SELECT id, coalesce(thread_id, '') AS chain,
               row_number() OVER (PARTITION BY coalesce(thread_id, '') ORDER BY id) AS seq,
               approvals_audit_content(thread_id, request_id, approval_id, event, actor, at,
                   args_before, args_after, reason, detail, policy) AS content
        FROM audit_log
    ), walk AS (
        SELECT id, chain, seq, NULL::text AS prev_hash,
               approvals_audit_hash(NULL, content) AS hash
        FROM ordered WHERE seq = 1
        UNION ALL
        SELECT o.id, o.chain, o.seq, w.hash, approvals_audit_hash(w.hash, o.content)
        FROM walk w JOIN ordered o ON o.chain = w.chain AND o.seq = w.seq + 1
    )
    UPDATE audit_log a SET chain = w.chain, seq = w.seq, prev_hash = w.prev_hash,
        hash = w.hash
    FROM walk w WHERE a.id = w.id;
    INSERT INTO audit_heads (chain, seq, prev_hash, hash)
    SELECT DISTINCT ON (chain) chain, seq, prev_hash, hash FROM audit_log
    ORDER BY chain, seq DESC;
    CREATE UNIQUE INDEX audit_log_chain ON audit_log (chain, seq);
    CREATE INDEX audit_log_at ON audit_log (at, id);""",
    # standing approvals: an approver's "approve this again, for a while", by graph and
    # action, scoped to the exact arguments (args) or to a CEL condition (scope_when)
    """CREATE TABLE standing_approvals (
        id bigserial PRIMARY KEY,
        graph text NOT NULL,
        action text NOT NULL,
        args jsonb,
        scope_when text,
        granter text NOT NULL,
        team text,
        enterprise text,
        granted_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        request_id bigint NOT NULL REFERENCES requests(id),
        revoked_at timestamptz,
        revoked_by text
    );
    CREATE INDEX standing_approvals_live ON standing_approvals (graph, action, expires_at)
        WHERE revoked_at IS NULL;
    CREATE INDEX standing_approvals_granter ON standing_approvals (granter, expires_at)
        WHERE revoked_at IS NULL;""",
    # "approve for the rest of this run": a standing approval scoped to one run's thread
    """ALTER TABLE standing_approvals ADD COLUMN run_thread_id text""",
]

# A fixed key so that instances starting together migrate one at a time.
_MIGRATION_LOCK = 7_461_002_001

SELECT_VERSION = "SELECT coalesce(max(v), -1) AS v FROM approvals_migrations"
INSERT_VERSION = "INSERT INTO approvals_migrations (v) VALUES (%s)"


def statements(migration: str) -> list[str]:
    """Split a migration into statements (the extended protocol runs one at a time)."""
    return [part.strip() for part in migration.split(";\n") if part.strip()]


async def migrate(pool: Pool) -> int:
    """Apply pending migrations in order, each in its own transaction; return the version."""
    async with pool.connection() as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            await conn.execute(MIGRATIONS[0])
            cur = await conn.execute(SELECT_VERSION)
            row = await cur.fetchone()
            current = int(row["v"]) if row else -1
            for version in range(max(current + 1, 1), len(MIGRATIONS)):
                async with conn.transaction():
                    for statement in statements(MIGRATIONS[version]):
                        await conn.execute(statement)
                    await conn.execute(INSERT_VERSION, (version,))
            return len(MIGRATIONS) - 1
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
