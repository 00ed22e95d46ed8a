extension ConfigKey {
    /// The central PostgreSQL ledger's connection string, or `@FILE`; setting it makes `run`
    /// replicate.
    public static let replicationTarget = ConfigKey(
        section: "replication", name: "target", kind: .connectionString, option: nil)
    /// The identifier of this host in the central ledger's `source_host` column.
    public static let hostID = ConfigKey(section: "replication", name: "host_id", kind: .hostIdentifier, option: nil)
    /// Events per `INSERT` at most.
    public static let replicationBatchSize = ConfigKey(
        section: "replication", name: "batch_events", kind: .count(1...RemoteSchema.maximumBatchSize), option: nil)
    /// Seconds libpq waits for a connection.
    public static let connectTimeout = ConfigKey(
        section: "replication", name: "connect_timeout", kind: .seconds, option: nil)
    /// Seconds the server lets one statement run.
    public static let statementTimeout = ConfigKey(
        section: "replication", name: "statement_timeout", kind: .seconds, option: nil)

    /// The keys of the `[replication]` section, in the order `check-config` prints them.
    public static let replicationKeys: [ConfigKey] = [
        replicationTarget, hostID, replicationBatchSize, connectTimeout, statementTimeout,
    ]
}
