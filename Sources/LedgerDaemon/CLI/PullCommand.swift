import Glibc

/// `tokenledgerd pull`: ships CLIProxyAPI's usage queue into the spool.
enum PullCommand {
    /// The command's options; the management key is only ever read from a file.
    static let options: [OptionSpec] = [
        OptionSpec(
            "from", value: "URL", help: "the proxy's http:// address on this host (default: http://127.0.0.1:8317)"),
        OptionSpec(
            "mode", value: "MODE",
            help: "auto|subscribe|poll (default: auto, which subscribes when the proxy supports it)"),
        OptionSpec(
            "management-key-file", value: "FILE",
            help: "file holding the proxy's management key (default: $CREDENTIALS_DIRECTORY/management-key)"),
        OptionSpec("spool", value: "DIR", help: "spool directory to write into (default: the first configured spool)"),
        Settings.configOption,
        OptionSpec("log-level", value: "LEVEL", help: "critical|error|warning|notice|info|debug|trace (default: info)"),
        OptionSpec("help", help: "print this help and exit"),
    ]

    /// Runs the shipper until `SIGTERM` or `SIGINT`; returns 0 after a clean stop.
    /// - Throws: ``UsageError`` or ``ConfigError`` for invalid settings (exit 2), ``PullError``
    ///   when the spool cannot be written (exit 1).
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        let configuration = try ConfigLoader(options: options, environment: environment).load()
        let settings = Settings.resolve(configuration)
        let pull = PullSettings.resolve(configuration)
        let logger = Logger(level: settings.logLevel)
        for name in configuration.unknownEnvironmentNames {
            logger.warning("ignoring unknown environment variable", ["config.variable": name])
        }

        let address: ProxyAddress
        let keyPath: String
        let key: ManagementKey
        do {
            address = try ProxyAddress(parsing: pull.proxyURL)
            keyPath = try ManagementKey.path(configured: pull.managementKeyFile, environment: environment)
            key = try ManagementKey(path: keyPath)
        } catch {
            throw UsageError("pull: \(error.message)")
        }
        if ManagementKey.isWorldReadable(keyPath) {
            logger.warning(
                "the management key file is readable by every user; restrict it with chmod 0600 or 0640",
                ["pull.key_file": keyPath])
        }
        let spool = settings.spoolDirectories.first ?? "./spool"
        var info = stat()
        guard stat(spool, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw UsageError("pull: spool directory '\(spool)' does not exist or is not a directory")
        }
        if pull.pullInterval * 2 > pull.proxyRetention {
            logger.warning(
                "pull_interval is more than half of proxy_retention; records may expire between polls",
                ["pull.interval": "\(pull.pullInterval)", "pull.retention": "\(pull.proxyRetention)"])
        }

        try installSignalHandlers()
        let writer = SpoolWriter(
            directory: spool, rotateBytes: pull.rotateSize, rotateNanoseconds: Int64(pull.rotateInterval * 1e9),
            logger: logger)
        let shipper = Shipper(address: address, settings: pull, key: key, writer: writer, logger: logger)
        try shipper.run()
        return 0
    }

    private static func installSignalHandlers() throws {
        try WakePipe.open()
        // A parent may start us with these signals blocked, and children inherit the mask.
        var handled = sigset_t()
        sigemptyset(&handled)
        sigaddset(&handled, SIGTERM)
        sigaddset(&handled, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
        signal(SIGTERM) { _ in
            PullSignals.stopRequested.store(true, ordering: .relaxed)
            WakePipe.wake()
        }
        signal(SIGINT) { _ in
            PullSignals.stopRequested.store(true, ordering: .relaxed)
            WakePipe.wake()
        }
        signal(SIGPIPE, SIG_IGN)
    }
}
