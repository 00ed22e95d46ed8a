extension Settings {
    /// Renders the effective settings as a configuration file, each key preceded by a comment naming
    /// where its value came from. `check-config` prints this, and the text parses back to the
    /// same settings. `pull` and `replication` supply the values of their sections' keys.
    public func configurationText(pull: PullSettings, replication: ReplicationSettings) -> String {
        var text = "# Effective tokenledgerd configuration.\n"
        if let configurationPath {
            text += "# Configuration file: \(configurationPath)\n"
        } else {
            text += "# Configuration file: none (\(ConfigLoader.defaultPath) does not exist)\n"
        }
        for section in ConfigKey.sections {
            text += "\n[\(section)]\n"
            for key in ConfigKey.all where key.section == section {
                let origin = origins[key] ?? .builtIn
                if key == .ledgerDirectory && origin == .builtIn {
                    text += "# default: <state_dir>/ledger\n"
                } else if key == .retentionDirectory && origin == .builtIn {
                    text += "# default: none; required when retention = move\n"
                } else if key == .managementKeyFile && origin == .builtIn {
                    text += "# default: $CREDENTIALS_DIRECTORY/\(ManagementKey.credentialName)\n"
                } else if key == .replicationTarget && origin == .builtIn {
                    text += "# default: $CREDENTIALS_DIRECTORY/\(ConnectionTarget.credentialName) when it exists\n"
                } else if key == .hostID && origin == .builtIn {
                    text += "# default: the host name\n"
                } else {
                    text += "# \(origin == .builtIn ? "default" : "from \(origin)")\n"
                }
                let value: ConfigValue?
                if ConfigKey.pullKeys.contains(key) {
                    value = pull.value(of: key)
                } else if ConfigKey.replicationKeys.contains(key) {
                    value = replication.value(of: key)
                } else {
                    value = self.value(of: key)
                }
                guard let value else { continue }
                for line in Self.valueLines(value, kind: key.kind) {
                    text += "\(key.name) = \(line)\n"
                }
            }
        }
        return text
    }

    /// Formats a value as written after `key = `: one line per path of a path list, one line of
    /// patterns separated by spaces.
    private static func valueLines(_ value: ConfigValue, kind: ConfigKey.Kind) -> [String] {
        switch value {
        case .text(let text):
            return [text]
        case .list(let items):
            return kind == .patternList ? [items.joined(separator: " ")] : items
        case .seconds(let seconds):
            let isWhole = seconds == seconds.rounded() && seconds < 1e15
            return [isWhole ? String(Int64(seconds)) : String(seconds)]
        case .integer(let integer):
            if case .byteSize = kind {
                return [ConfigKey.Kind.formatBytes(integer)]
            }
            return [String(integer)]
        case .level(let level):
            return [level.name]
        }
    }
}
