import Glibc

/// The `[replication]` settings, resolved from the merged configuration and the defaults.
public struct ReplicationSettings: Sendable, Equatable {
    /// The configured connection string or `@FILE`; `nil` when unset.
    public var target: String?
    /// This host's identifier in the central ledger.
    public var hostID: String
    /// Events per `INSERT` at most.
    public var batchSize: Int
    /// Seconds libpq waits for a connection.
    public var connectTimeout: Double
    /// Seconds the server lets one statement run.
    public var statementTimeout: Double

    /// The built-in defaults; `hostID` is the host name.
    public static var defaults: ReplicationSettings {
        ReplicationSettings(
            target: nil, hostID: hostName(), batchSize: 1000, connectTimeout: 10, statementTimeout: 60)
    }

    /// Resolves the settings, with the default for every key that no source set.
    public static func resolve(_ configuration: Configuration) -> ReplicationSettings {
        let defaults = Self.defaults
        return ReplicationSettings(
            target: configuration.text(.replicationTarget),
            hostID: configuration.text(.hostID) ?? defaults.hostID,
            batchSize: configuration.integer(.replicationBatchSize) ?? defaults.batchSize,
            connectTimeout: configuration.seconds(.connectTimeout) ?? defaults.connectTimeout,
            statementTimeout: configuration.seconds(.statementTimeout) ?? defaults.statementTimeout)
    }

    /// Returns the effective value of a `[replication]` key; `nil` for other keys and for an unset
    /// target. A target given in place is returned with its password redacted.
    public func value(of key: ConfigKey) -> ConfigValue? {
        switch key {
        case .replicationTarget: return target.map { .text(ConnectionTarget.redacted($0)) }
        case .hostID: return .text(hostID)
        case .replicationBatchSize: return .integer(batchSize)
        case .connectTimeout: return .seconds(connectTimeout)
        case .statementTimeout: return .seconds(statementTimeout)
        default: return nil
        }
    }

    /// The system's host name, `localhost` when it cannot be read.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
