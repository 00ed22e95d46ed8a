extension ConfigKey {
    /// The proxy that `tokenledgerd pull` drains.
    public static let proxyURL = ConfigKey(section: "pull", name: "proxy_url", kind: .proxyURL, option: "from")
    /// How `tokenledgerd pull` receives records; see ``PullMode``.
    public static let pullMode = ConfigKey(
        section: "pull", name: "pull_mode", kind: .choice(PullMode.allCases.map(\.rawValue)), option: "mode")
    /// The file holding the proxy's management key.
    public static let managementKeyFile = ConfigKey(
        section: "pull", name: "management_key_file", kind: .path, option: "management-key-file")
    /// Seconds between usage queue polls in poll mode.
    public static let pullInterval = ConfigKey(section: "pull", name: "pull_interval", kind: .seconds, option: nil)
    /// Records requested per poll.
    public static let pullCount = ConfigKey(section: "pull", name: "pull_count", kind: .count(1...10_000), option: nil)
    /// The proxy's `redis-usage-queue-retention-seconds`.
    public static let proxyRetention = ConfigKey(section: "pull", name: "proxy_retention", kind: .seconds, option: nil)
    /// Seconds the proxy may take to accept a connection or to send the next bytes of a reply.
    public static let requestTimeout = ConfigKey(section: "pull", name: "request_timeout", kind: .seconds, option: nil)
    /// The age at which a spool file is published.
    public static let rotateInterval = ConfigKey(section: "pull", name: "rotate_interval", kind: .seconds, option: nil)
    /// The size at which a spool file is published.
    public static let rotateSize = ConfigKey(
        section: "pull", name: "rotate_size", kind: .byteSize((64 << 10)...(1 << 30)), option: nil)

    /// The keys of the `[pull]` section, which only `tokenledgerd pull` reads, in the order
    /// `check-config` prints them.
    public static let pullKeys: [ConfigKey] = [
        proxyURL, pullMode, managementKeyFile, pullInterval, pullCount, proxyRetention, requestTimeout, rotateInterval,
        rotateSize,
    ]
}
