/// The transport over which `tokenledgerd pull` receives records from the proxy.
public enum PullMode: String, Sendable, CaseIterable {
    /// `subscribe` when the proxy answers RESP on its port, else `poll`.
    case auto
    /// RESP `SUBSCRIBE usage`: the proxy pushes each record as it is produced.
    case subscribe
    /// HTTP `GET /v0/management/usage-queue?count=N` every ``PullSettings/pullInterval``.
    case poll
}

/// The `[pull]` settings, resolved from the merged configuration and the defaults.
public struct PullSettings: Sendable, Equatable {
    /// The proxy's address as given, such as `http://127.0.0.1:8317`.
    public var proxyURL: String
    /// How records are received.
    public var mode: PullMode
    /// The management key file; `nil` means `$CREDENTIALS_DIRECTORY/management-key`.
    public var managementKeyFile: String?
    /// Seconds between polls in poll mode.
    public var pullInterval: Double
    /// Records requested per poll or `LPOP`.
    public var pullCount: Int
    /// The proxy's queue retention in seconds (`redis-usage-queue-retention-seconds`).
    public var proxyRetention: Double
    /// Seconds allowed to connect and for each read of a reply.
    public var requestTimeout: Double
    /// Seconds after which a non-empty spool file is published.
    public var rotateInterval: Double
    /// Bytes after which a spool file is published.
    public var rotateSize: Int

    /// The built-in defaults.
    public static let defaults = PullSettings(
        proxyURL: "http://127.0.0.1:8317", mode: .auto, managementKeyFile: nil, pullInterval: 1, pullCount: 1000,
        proxyRetention: 60, requestTimeout: 10, rotateInterval: 60, rotateSize: 64 << 20)

    /// Resolves the settings, with the default for every key that no source set.
    public static func resolve(_ configuration: Configuration) -> PullSettings {
        PullSettings(
            proxyURL: configuration.text(.proxyURL) ?? defaults.proxyURL,
            mode: configuration.text(.pullMode).flatMap(PullMode.init(rawValue:)) ?? defaults.mode,
            managementKeyFile: configuration.text(.managementKeyFile),
            pullInterval: configuration.seconds(.pullInterval) ?? defaults.pullInterval,
            pullCount: configuration.integer(.pullCount) ?? defaults.pullCount,
            proxyRetention: configuration.seconds(.proxyRetention) ?? defaults.proxyRetention,
            requestTimeout: configuration.seconds(.requestTimeout) ?? defaults.requestTimeout,
            rotateInterval: configuration.seconds(.rotateInterval) ?? defaults.rotateInterval,
            rotateSize: configuration.integer(.rotateSize) ?? defaults.rotateSize)
    }

    /// Returns the effective value of a `[pull]` key; `nil` for other keys and for an unset
    /// `management_key_file`.
    public func value(of key: ConfigKey) -> ConfigValue? {
        switch key {
        case .proxyURL: return .text(proxyURL)
        case .pullMode: return .text(mode.rawValue)
        case .managementKeyFile: return managementKeyFile.map { .text($0) }
        case .pullInterval: return .seconds(pullInterval)
        case .pullCount: return .integer(pullCount)
        case .proxyRetention: return .seconds(proxyRetention)
        case .requestTimeout: return .seconds(requestTimeout)
        case .rotateInterval: return .seconds(rotateInterval)
        case .rotateSize: return .integer(rotateSize)
        default: return nil
        }
    }
}
