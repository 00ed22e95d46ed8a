/// The merged configuration: for each key set by some source, the winning value and its origin.
///
/// Keys that no source sets are absent; ``Settings/resolve(_:)`` fills in their defaults.
public struct Configuration: Sendable, Equatable {
    /// A value and where it came from.
    public struct Setting: Sendable, Equatable {
        /// The value.
        public var value: ConfigValue
        /// Its source.
        public var origin: ConfigOrigin
    }

    /// The configuration file that was read; `nil` when none was.
    public var filePath: String?
    /// The values by key.
    public var settings: [ConfigKey: Setting] = [:]
    /// Environment variables starting with `TOKENLEDGERD_` that name no key, sorted. They are
    /// ignored; the commands log a warning for each.
    public var unknownEnvironmentNames: [String] = []

    /// Creates an empty configuration.
    public init(filePath: String? = nil) {
        self.filePath = filePath
    }

    /// Returns the value of `key`, if any source set it.
    public func value(_ key: ConfigKey) -> ConfigValue? {
        settings[key]?.value
    }

    /// Returns the source of the value of `key`, if any source set it.
    public func origin(_ key: ConfigKey) -> ConfigOrigin? {
        settings[key]?.origin
    }

    /// Returns the path set for `key`.
    public func text(_ key: ConfigKey) -> String? {
        guard case .text(let text) = value(key) else { return nil }
        return text
    }

    /// Returns the list set for `key`.
    public func list(_ key: ConfigKey) -> [String]? {
        guard case .list(let list) = value(key) else { return nil }
        return list
    }

    /// Returns the duration set for `key`, in seconds.
    public func seconds(_ key: ConfigKey) -> Double? {
        guard case .seconds(let seconds) = value(key) else { return nil }
        return seconds
    }

    /// Returns the number set for `key`.
    public func integer(_ key: ConfigKey) -> Int? {
        guard case .integer(let integer) = value(key) else { return nil }
        return integer
    }

    /// Returns the log level set for `key`.
    public func level(_ key: ConfigKey) -> Logger.Level? {
        guard case .level(let level) = value(key) else { return nil }
        return level
    }

    /// Sets `key` to `value` from `origin`, replacing any earlier value, a whole list included.
    public mutating func set(_ key: ConfigKey, to value: ConfigValue, from origin: ConfigOrigin) {
        settings[key] = Setting(value: value, origin: origin)
    }
}
