import LedgerCore

/// The central ledger's schema, as forward-only migrations recorded in `tokenledgerd_schema`.
///
/// `events` is partitioned by month on `started_at`. PostgreSQL requires a unique key of a
/// partitioned table to contain the partition key, so the primary key is `(event_key, started_at)`.
/// An event key is derived from the record, which fixes its start too, so the pair is as unique as
/// the key alone.
enum RemoteSchema {
    /// The migrations in order; migration `n` (1-based) brings the version from `n - 1` to `n`.
    static let migrations: [String] = [
        """
        CREATE TABLE events (
            event_key bytea NOT NULL,
            started_at timestamptz NOT NULL,
            started_at_ns bigint NOT NULL,
            source_host text NOT NULL,
            source_event_id bigint NOT NULL,
            shape text NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            requested_model text,
            session_id text,
            request_id text,
            latency_ms bigint,
            ttft_ms bigint,
            status text NOT NULL,
            status_code integer,
            input_uncached bigint NOT NULL,
            cache_read bigint NOT NULL,
            cache_write bigint NOT NULL,
            output bigint NOT NULL,
            reasoning bigint NOT NULL,
            unclassified bigint NOT NULL,
            usage_state text NOT NULL,
            quality text NOT NULL,
            client_key_id text,
            account_id text,
            auth_index text,
            service_name text,
            host_name text,
            file_path text,
            line_offset bigint,
            cost_nanos bigint,
            cost_estimated boolean,
            price_ref text,
            priced_at_ns bigint,
            replicated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (event_key, started_at)
        ) PARTITION BY RANGE (started_at);
        CREATE INDEX events_fold_order ON events (started_at_ns, event_key);
        CREATE INDEX events_source ON events (source_host, source_event_id);
        """,
        """
        ALTER TABLE events ADD COLUMN tool_input_tokens bigint NOT NULL DEFAULT 0;
        ALTER TABLE events ADD COLUMN tool_output_tokens bigint NOT NULL DEFAULT 0;
        """,
    ]

    /// The inserted columns with their types, in parameter order.
    static let insertColumns: [(name: String, type: String)] = [
        ("event_key", "bytea"), ("started_at", "timestamptz"), ("started_at_ns", "bigint"), ("source_host", "text"),
        ("source_event_id", "bigint"), ("shape", "text"), ("provider", "text"), ("model", "text"),
        ("requested_model", "text"), ("session_id", "text"), ("request_id", "text"), ("latency_ms", "bigint"),
        ("ttft_ms", "bigint"), ("status", "text"), ("status_code", "integer"), ("input_uncached", "bigint"),
        ("cache_read", "bigint"), ("cache_write", "bigint"), ("output", "bigint"), ("reasoning", "bigint"),
        ("unclassified", "bigint"), ("usage_state", "text"), ("quality", "text"), ("client_key_id", "text"),
        ("account_id", "text"), ("auth_index", "text"), ("service_name", "text"), ("host_name", "text"),
        ("file_path", "text"), ("line_offset", "bigint"), ("cost_nanos", "bigint"), ("cost_estimated", "boolean"),
        ("price_ref", "text"), ("priced_at_ns", "bigint"), ("tool_input_tokens", "bigint"),
        ("tool_output_tokens", "bigint"),
    ]

    /// The columns of a cost update with their types, in parameter order: the primary key, then
    /// the cost columns.
    static let costColumns: [(name: String, type: String)] = [
        ("event_key", "bytea"), ("started_at", "timestamptz"), ("cost_nanos", "bigint"), ("cost_estimated", "boolean"),
        ("price_ref", "text"), ("priced_at_ns", "bigint"),
    ]

    /// Rows per `INSERT` at most: PostgreSQL's protocol allows 65,535 parameters per statement.
    static var maximumBatchSize: Int { 65_535 / insertColumns.count }

    /// Creates the version table and applies the missing migrations, one transaction each, under
    /// an advisory lock so that hosts starting together do not race.
    /// - Throws: ``PostgresError``; `unsupportedSchema` when the database is newer than this build.
    static func migrate(_ connection: PostgresConnection) throws(PostgresError) {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS tokenledgerd_schema (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        try connection.execute("BEGIN")
        do throws(PostgresError) {
            // An arbitrary constant naming tokenledgerd's migration lock.
            try connection.execute("SELECT pg_advisory_xact_lock(7264418301)")
            let rows = try connection.query("SELECT coalesce(max(version), 0) FROM tokenledgerd_schema")
            let version = Int(rows.first?.first.flatMap { $0 } ?? "0") ?? 0
            guard version <= migrations.count else {
                throw PostgresError(
                    .unsupportedSchema,
                    "the central ledger's schema version \(version) is newer than this build's \(migrations.count); "
                        + "upgrade tokenledgerd")
            }
            for (index, migration) in migrations.enumerated().dropFirst(version) {
                try connection.execute(migration)
                try connection.execute("INSERT INTO tokenledgerd_schema (version) VALUES (\(index + 1))")
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Returns the `INSERT` of `rowCount` rows that skips events already stored.
    static func insertStatement(rowCount: Int) -> String {
        let columns = insertColumns.map(\.name).joined(separator: ", ")
        var rows: [String] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let base = row * insertColumns.count
            let values = insertColumns.enumerated().map { index, column in "$\(base + index + 1)::\(column.type)" }
            rows.append("(" + values.joined(separator: ", ") + ")")
        }
        return "INSERT INTO events (\(columns)) VALUES " + rows.joined(separator: ", ")
            + " ON CONFLICT (event_key, started_at) DO NOTHING"
    }

    /// Returns the `UPDATE` that sets the cost columns of `rowCount` events to the given values.
    ///
    /// Events the central ledger does not have yet are not created: they receive their cost when
    /// they are inserted. Rows whose cost is already equal are not written again.
    static func costUpdateStatement(rowCount: Int) -> String {
        var rows: [String] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let base = row * costColumns.count
            let values = costColumns.enumerated().map { index, column in "$\(base + index + 1)::\(column.type)" }
            rows.append("(" + values.joined(separator: ", ") + ")")
        }
        let names = costColumns.map(\.name)
        let costNames = names.dropFirst(2)
        let assignments = costNames.map { "\($0) = v.\($0)" }.joined(separator: ", ")
        let current = costNames.map { "e.\($0)" }.joined(separator: ", ")
        let sent = costNames.map { "v.\($0)" }.joined(separator: ", ")
        return "UPDATE events AS e SET \(assignments) FROM (VALUES " + rows.joined(separator: ", ")
            + ") AS v (\(names.joined(separator: ", "))) WHERE e.event_key = v.event_key AND e.started_at = v.started_at"
            + " AND (\(current)) IS DISTINCT FROM (\(sent))"
    }

    /// The partition name and the `CREATE TABLE` of the month holding `startedAtNanoseconds`.
    static func partition(containing startedAtNanoseconds: Int64) -> (name: String, sql: String) {
        let day = Timestamp.utcDay(startedAtNanoseconds)
        let year = Int(day.prefix(4)) ?? 1970
        let month = Int(day.dropFirst(5).prefix(2)) ?? 1
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        let name = "events_" + pad(year, 4) + "_" + pad(month, 2)
        let sql =
            "CREATE TABLE IF NOT EXISTS \(name) PARTITION OF events FOR VALUES FROM ('\(pad(year, 4))-\(pad(month, 2))"
            + "-01 00:00:00+00') TO ('\(pad(next.0, 4))-\(pad(next.1, 2))-01 00:00:00+00')"
        return (name, sql)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
