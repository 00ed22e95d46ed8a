/// One forward step of the store's schema.
struct Migration: ExpressibleByStringLiteral {
    /// The statements of the step, run in one transaction.
    let sql: String
    /// Whether the step edits table definitions in `sqlite_schema` directly (SQLite's procedure
    /// for changing CHECK constraints without copying a table). The store then increments
    /// `PRAGMA schema_version`, so every connection reloads the definitions, and checks that the
    /// edited definitions still parse.
    let editsDefinitions: Bool

    init(stringLiteral sql: String) {
        self.sql = sql
        editsDefinitions = false
    }

    init(editingDefinitions sql: String) {
        self.sql = sql
        editsDefinitions = true
    }
}

/// The store's schema, as forward-only migrations numbered by `PRAGMA user_version`.
///
/// A released migration is never edited: a store that already ran it would not run it again.
enum Schema {
    /// The migrations in order; migration `n` (1-based) brings `user_version` from `n - 1` to `n`.
    static let migrations: [Migration] = [
        """
        CREATE TABLE files (
            file_id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            birth_ns INTEGER,
            modified_ns INTEGER NOT NULL,
            compression TEXT NOT NULL CHECK (compression IN ('none', 'gzip')),
            size INTEGER NOT NULL,
            committed_offset INTEGER NOT NULL,
            head_length INTEGER NOT NULL,
            head_hash BLOB NOT NULL,
            tail_hash BLOB,
            state TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'finished', 'vanished')),
            first_seen_ns INTEGER NOT NULL,
            updated_ns INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX files_live_identity ON files(device, inode) WHERE state != 'vanished';

        CREATE TABLE events (
            event_id INTEGER PRIMARY KEY,
            event_key BLOB NOT NULL UNIQUE,
            shape TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            requested_model TEXT,
            session_id TEXT,
            request_id TEXT,
            started_at_ns INTEGER NOT NULL,
            latency_ms INTEGER,
            ttft_ms INTEGER,
            status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'interrupted')),
            status_code INTEGER,
            input_uncached INTEGER NOT NULL CHECK (input_uncached >= 0),
            cache_read INTEGER NOT NULL CHECK (cache_read >= 0),
            cache_write INTEGER NOT NULL CHECK (cache_write >= 0),
            output INTEGER NOT NULL CHECK (output >= 0),
            reasoning INTEGER NOT NULL CHECK (reasoning >= 0),
            unclassified INTEGER NOT NULL CHECK (unclassified >= 0),
            usage_state TEXT NOT NULL CHECK (usage_state IN ('present', 'zero', 'missing')),
            quality TEXT NOT NULL CHECK (quality IN ('complete', 'inconsistent', 'unclassified')),
            client_key_id TEXT,
            account_id TEXT,
            auth_index TEXT,
            service_name TEXT,
            host_name TEXT,
            file_id INTEGER REFERENCES files(file_id),
            line_offset INTEGER,
            cost_nanos INTEGER,
            cost_estimated INTEGER,
            price_ref TEXT,
            priced_at_ns INTEGER
        );
        CREATE INDEX events_started ON events(started_at_ns);
        CREATE INDEX events_unpriced ON events(event_id) WHERE priced_at_ns IS NULL;

        CREATE TABLE quarantine (
            quarantine_id INTEGER PRIMARY KEY,
            line_hash BLOB NOT NULL,
            file_id INTEGER REFERENCES files(file_id),
            line_offset INTEGER NOT NULL,
            line_length INTEGER NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            sample TEXT NOT NULL,
            created_ns INTEGER NOT NULL,
            UNIQUE (file_id, line_offset, detail)
        );
        CREATE INDEX quarantine_reason ON quarantine(reason);

        CREATE TABLE fold_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        -- Replication: the last local event_id each PostgreSQL target has committed, written only
        -- after the remote COMMIT.
        CREATE TABLE replication_watermarks (
            target_id TEXT PRIMARY KEY,
            last_event_id INTEGER NOT NULL,
            updated_ns INTEGER NOT NULL
        );
        """,
        // The unique index moves from event_key alone to (started_at_ns, event_key). Random keys
        // spread inserts over the whole index; events arriving in time order extend the new one
        // at its end. SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt.
        """
        CREATE TABLE events_rebuilt (
            event_id INTEGER PRIMARY KEY,
            event_key BLOB NOT NULL,
            shape TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            requested_model TEXT,
            session_id TEXT,
            request_id TEXT,
            started_at_ns INTEGER NOT NULL,
            latency_ms INTEGER,
            ttft_ms INTEGER,
            status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'interrupted')),
            status_code INTEGER,
            input_uncached INTEGER NOT NULL CHECK (input_uncached >= 0),
            cache_read INTEGER NOT NULL CHECK (cache_read >= 0),
            cache_write INTEGER NOT NULL CHECK (cache_write >= 0),
            output INTEGER NOT NULL CHECK (output >= 0),
            reasoning INTEGER NOT NULL CHECK (reasoning >= 0),
            unclassified INTEGER NOT NULL CHECK (unclassified >= 0),
            usage_state TEXT NOT NULL CHECK (usage_state IN ('present', 'zero', 'missing')),
            quality TEXT NOT NULL CHECK (quality IN ('complete', 'inconsistent', 'unclassified')),
            client_key_id TEXT,
            account_id TEXT,
            auth_index TEXT,
            service_name TEXT,
            host_name TEXT,
            file_id INTEGER REFERENCES files(file_id),
            line_offset INTEGER,
            cost_nanos INTEGER,
            cost_estimated INTEGER,
            price_ref TEXT,
            priced_at_ns INTEGER
        );
        INSERT INTO events_rebuilt SELECT * FROM events;
        DROP TABLE events;
        ALTER TABLE events_rebuilt RENAME TO events;
        CREATE UNIQUE INDEX events_started_key ON events(started_at_ns, event_key);
        CREATE INDEX events_unpriced ON events(event_id) WHERE priced_at_ns IS NULL;
        """,
        """
        -- The tool-call tokens of a tokenledger normalized event. They are parts of input_uncached
        -- and output, which keep their meaning for every shape, and 0 for every other shape and for
        -- events stored before this migration.
        ALTER TABLE events ADD COLUMN tool_input_tokens INTEGER NOT NULL DEFAULT 0
            CHECK (tool_input_tokens >= 0);
        ALTER TABLE events ADD COLUMN tool_output_tokens INTEGER NOT NULL DEFAULT 0
            CHECK (tool_output_tokens >= 0);

        -- Cost changes: each recorded cost takes the next value of cost_change_sequence, which
        -- never decreases (deleted events do not free their values), so replication can send the
        -- costs changed after a watermark. NULL for an event whose cost was never recorded.
        ALTER TABLE events ADD COLUMN cost_change_seq INTEGER;
        CREATE INDEX events_cost_changes ON events(cost_change_seq) WHERE cost_change_seq IS NOT NULL;
        CREATE TABLE cost_change_sequence (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_value INTEGER NOT NULL
        );
        -- Costs recorded before this migration count as changes, so each target receives them once.
        UPDATE events SET cost_change_seq = event_id WHERE priced_at_ns IS NOT NULL;
        INSERT INTO cost_change_sequence (id, last_value)
            VALUES (1, (SELECT coalesce(max(cost_change_seq), 0) FROM events));
        -- The last cost change each target has committed, written only after the remote COMMIT.
        ALTER TABLE replication_watermarks ADD COLUMN last_cost_change_seq INTEGER NOT NULL DEFAULT 0;
        """,
        // SQLite evaluates `x IN (a, b, c)` in a CHECK constraint by building a temporary index of
        // the list for every row written, which took about two thirds of the time of an event
        // INSERT. The same constraints written as comparisons cost almost nothing. Every stored
        // value satisfies both spellings, so the definitions are edited in place instead of
        // copying the tables.
        Migration(
            editingDefinitions: """
                PRAGMA writable_schema = ON;
                UPDATE sqlite_schema
                SET sql = replace(replace(replace(sql,
                    'status IN (''succeeded'', ''failed'', ''interrupted'')',
                    '(status = ''succeeded'' OR status = ''failed'' OR status = ''interrupted'')'),
                    'usage_state IN (''present'', ''zero'', ''missing'')',
                    '(usage_state = ''present'' OR usage_state = ''zero'' OR usage_state = ''missing'')'),
                    'quality IN (''complete'', ''inconsistent'', ''unclassified'')',
                    '(quality = ''complete'' OR quality = ''inconsistent'' OR quality = ''unclassified'')')
                WHERE type = 'table' AND name = 'events';
                UPDATE sqlite_schema
                SET sql = replace(replace(sql,
                    'compression IN (''none'', ''gzip'')',
                    '(compression = ''none'' OR compression = ''gzip'')'),
                    'state IN (''active'', ''rotated'', ''finished'', ''vanished'')',
                    '(state = ''active'' OR state = ''rotated'' OR state = ''finished'' OR state = ''vanished'')')
                WHERE type = 'table' AND name = 'files';
                PRAGMA writable_schema = OFF;
                """),
        // A usage-queue record is skipped when its accounting-event twin is stored. Most stores
        // contain no accounting event at all, which one seek in this index shows, so ingestion
        // can skip the per-record lookup. Only accounting events enter it, so other inserts pay
        // one comparison. Its columns are those of the twin lookup.
        """
        CREATE INDEX events_accounting_attempts ON events(started_at_ns, provider, model, client_key_id)
            WHERE shape = 'cliproxyapi.accounting';
        """,
    ]
}
