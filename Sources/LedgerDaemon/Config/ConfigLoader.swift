import Glibc

/// Merges the configuration file, the environment and the command-line options, in that order
/// of precedence from lowest to highest.
///
/// The file is the one named by `--config`, else by `$TOKENLEDGERD_CONFIG` (either must exist),
/// else ``defaultPath`` when it exists. Each key can be overridden by `TOKENLEDGERD_<NAME>`
/// (empty values count as unset) and, for keys with an option, by that option. A list set by a
/// higher source replaces the lower one's list. `$STATE_DIRECTORY`, which systemd sets from
/// `StateDirectory=`, supplies `state_dir` when no other source does.
public struct ConfigLoader: Sendable {
    /// The configuration file read when neither `--config` nor `$TOKENLEDGERD_CONFIG` names one.
    public static let defaultPath = "/etc/tokenledgerd/tokenledgerd.conf"
    /// The environment variable naming the configuration file.
    public static let pathVariable = "TOKENLEDGERD_CONFIG"
    /// The option naming the configuration file, without dashes.
    public static let pathOption = "config"

    /// The parsed command-line options.
    public let options: ParsedOptions
    /// The process environment.
    public let environment: [String: String]
    /// The file read when none is named; only read when it exists.
    public let defaultPath: String

    /// Creates a loader; nothing is read until ``load()``.
    public init(
        options: ParsedOptions, environment: [String: String], defaultPath: String = ConfigLoader.defaultPath
    ) {
        self.options = options
        self.environment = environment
        self.defaultPath = defaultPath
    }

    /// The file to read and whether it must exist.
    public var file: (path: String, isRequired: Bool) {
        if let path = options.value(Self.pathOption) {
            return (path, true)
        }
        if let path = environment[Self.pathVariable], !path.isEmpty {
            return (path, true)
        }
        return (defaultPath, false)
    }

    /// Reads the file and merges every source.
    /// - Throws: ``ConfigError`` for a missing required file, an unreadable file, invalid syntax,
    ///   an unknown section or key, or an invalid value from any source.
    public func load() throws(ConfigError) -> Configuration {
        let (path, isRequired) = file
        var configuration = Configuration()
        if isRequired || Self.exists(path) {
            do {
                let parsed = try ConfigFile.read(path: path)
                configuration.filePath = path
                apply(parsed, to: &configuration)
            } catch  where error.code == .fileNotFound {
                let source = options.value(Self.pathOption) != nil ? "--config" : Self.pathVariable
                throw ConfigError(
                    .fileNotFound, at: .wholeFile(path: path),
                    problem: "configuration file named by \(source) not found",
                    fix: "create it, or name an existing file with \(source)")
            }
        }
        try applyEnvironment(to: &configuration)
        try applyOptions(to: &configuration)
        if configuration.value(.stateDirectory) == nil,
            let directory = environment["STATE_DIRECTORY"]?.split(separator: ":").first
        {
            configuration.set(.stateDirectory, to: .text(String(directory)), from: .systemdStateDirectory)
        }
        configuration.unknownEnvironmentNames = environment.keys.filter { name in
            name.hasPrefix("TOKENLEDGERD_") && name != Self.pathVariable
                && !ConfigKey.all.contains { $0.environmentName == name }
        }.sorted()
        return configuration
    }

    /// Loads the configuration again, as on `SIGHUP`, and compares it with `previous`.
    ///
    /// The environment and options are the ones given at start, so only file changes take effect.
    /// On failure the caller keeps running with `previous`.
    /// - Returns: The new configuration and the keys whose values changed, or the error that
    ///   made the new configuration invalid.
    public func reload(previous: Configuration) -> Result<ConfigChange, ConfigError> {
        do {
            let configuration = try load()
            return .success(ConfigChange(previous: previous, current: configuration))
        } catch {
            return .failure(error)
        }
    }

    private func apply(_ file: ConfigFile, to configuration: inout Configuration) {
        for entry in file.entries {
            let origin = ConfigOrigin.file(path: file.path, line: entry.line)
            if case .list(let items) = entry.value, case .list(let earlier) = configuration.value(entry.key) {
                let firstOrigin = configuration.origin(entry.key) ?? origin
                configuration.set(entry.key, to: .list(earlier + items), from: firstOrigin)
            } else {
                configuration.set(entry.key, to: entry.value, from: origin)
            }
        }
    }

    private func applyEnvironment(to configuration: inout Configuration) throws(ConfigError) {
        for key in ConfigKey.all {
            guard let raw = environment[key.environmentName], !raw.isEmpty else { continue }
            let location = ConfigError.Location.environment(name: key.environmentName)
            let value = try Self.parse(raw, for: key, isEnvironment: true, at: location)
            configuration.set(key, to: value, from: .environment(name: key.environmentName))
        }
    }

    private func applyOptions(to configuration: inout Configuration) throws(ConfigError) {
        for key in ConfigKey.all {
            guard let option = key.option else { continue }
            let raws = options.all(option)
            guard let last = raws.last else { continue }
            let location = ConfigError.Location.option(name: option)
            if key.kind.isList {
                var items: [String] = []
                for raw in raws {
                    guard case .list(let parsed) = try Self.parse(raw, for: key, isEnvironment: false, at: location)
                    else { continue }
                    items += parsed
                }
                configuration.set(key, to: .list(items), from: .option(name: option))
            } else {
                let value = try Self.parse(last, for: key, isEnvironment: false, at: location)
                configuration.set(key, to: value, from: .option(name: option))
            }
        }
    }

    private static func parse(_ raw: String, for key: ConfigKey, isEnvironment: Bool, at location: ConfigError.Location)
        throws(ConfigError) -> ConfigValue
    {
        do {
            if key.kind.isList {
                return .list(try key.kind.parseItems(raw, isEnvironment: isEnvironment))
            }
            return try key.kind.parseValue(raw)
        } catch {
            throw ConfigError(
                .invalidValue, at: location, key: key.qualifiedName, problem: error.problem, fix: error.fix)
        }
    }

    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}

/// The result of a successful reload: the new configuration and what changed.
public struct ConfigChange: Sendable {
    /// The configuration before the reload.
    public var previous: Configuration
    /// The configuration to run with from now on.
    public var current: Configuration

    /// The keys whose effective values differ, in ``ConfigKey/all`` order. Defaults count, so
    /// removing a key from the file that set a non-default value is a change.
    public var changedKeys: [ConfigKey] {
        let before = Settings.resolve(previous)
        let after = Settings.resolve(current)
        let pullBefore = PullSettings.resolve(previous)
        let pullAfter = PullSettings.resolve(current)
        let replicationBefore = ReplicationSettings.resolve(previous)
        let replicationAfter = ReplicationSettings.resolve(current)
        return ConfigKey.all.filter { key in
            if ConfigKey.pullKeys.contains(key) {
                return pullBefore.value(of: key) != pullAfter.value(of: key)
            }
            if ConfigKey.replicationKeys.contains(key) {
                return replicationBefore.value(of: key) != replicationAfter.value(of: key)
            }
            return before.value(of: key) != after.value(of: key)
        }
    }

    /// Changed keys that take effect only after a restart; see ``ConfigKey/restartRequired``.
    public var restartRequiredKeys: [ConfigKey] {
        changedKeys.filter { ConfigKey.restartRequired.contains($0) }
    }
}
