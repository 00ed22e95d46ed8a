import LedgerCore

/// Drains CLIProxyAPI's usage queue into the spool until `SIGTERM` or `SIGINT`.
///
/// Every batch is on disk (``SpoolWriter/append(_:)`` flushes it) before the next one is
/// requested. Records may be lost through a closed connection, a proxy restart, a pause longer
/// than the queue's retention, or a restart of the shipper itself. After any of these, the first
/// write after contact is restored is a gap marker line covering the window; see ``GapMarker``.
final class Shipper {
    private let address: ProxyAddress
    private let settings: PullSettings
    private let writer: SpoolWriter
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private var key: ManagementKey

    /// The wall-clock instant up to which every received record is known to be on disk.
    private var lastSafe: Int64 = 0
    /// Whether the proxy ever responded to a request of this process.
    private var hadContact = false
    /// A window that may have lost records, written as a marker at the next contact.
    private var pendingGap: (reason: GapMarker.Reason, since: Int64)?
    private var backoff = ReconnectBackoff(initialMilliseconds: 1000, maximumMilliseconds: 60_000)
    private var lastFailureCode: PullError.Code?
    private var repeatedFailures = 0
    private var lastRecordAt: Int64 = 0
    private var quietWarningAt: Int64 = 0

    /// Records written since the start.
    private(set) var recordsWritten = 0

    /// The time after which a subscription with no traffic is checked with `PING`.
    private static let idlePingMilliseconds: Int64 = 15_000
    /// How long the shipper waits for a fixed key file after the proxy rejected the key: 30
    /// minutes, the ban CLIProxyAPI imposes after five failed attempts.
    private static let rejectedKeyWaitMilliseconds: Int64 = 30 * 60_000
    /// How long the shipper waits while the proxy bans this address.
    private static let banWaitMilliseconds: Int64 = 5 * 60_000
    /// A proxy that sends no record for this long gets one notice that usage statistics may be off.
    private static let quietNanoseconds: Int64 = 15 * 60 * 1_000_000_000

    /// Creates a shipper; nothing happens until ``run()``.
    init(
        address: ProxyAddress, settings: PullSettings, key: ManagementKey, writer: SpoolWriter, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = WallClock.now
    ) {
        self.address = address
        self.settings = settings
        self.key = key
        self.writer = writer
        self.logger = logger
        self.clock = clock
    }

    private var timeoutMilliseconds: Int32 { Int32(clamping: Int64(settings.requestTimeout * 1000)) }
    private var retentionNanoseconds: Int64 { Int64(settings.proxyRetention * 1e9) }

    /// Ships records until a stop is requested, then publishes the current spool file.
    /// - Throws: ``PullError`` for failures that retrying cannot fix, such as an unwritable spool.
    func run() throws(PullError) {
        if let previous = try writer.recover() {
            pendingGap = (.shipperRestart, previous)
        }
        lastSafe = clock()
        lastRecordAt = lastSafe
        var mode = settings.mode
        logger.notice(
            "tokenledgerd pull started",
            ["pull.proxy": address.description, "pull.mode": mode.rawValue, "spool.dir": writer.directory])
        while !PullSignals.stopRequested.load(ordering: .relaxed) {
            do {
                switch mode {
                case .poll: try pollSession()
                case .auto, .subscribe: try subscribeSession()
                }
            } catch  where error.code == .interrupted {
                break
            } catch  where error.code == .respUnsupported && mode == .auto {
                logger.notice(
                    "the proxy has no RESP interface; polling over HTTP instead", ["pull.proxy": address.description])
                mode = .poll
            } catch  where error.isRetryable {
                do {
                    try recover(from: error)
                } catch {
                    break
                }
            } catch {
                try? writer.publish()
                throw error
            }
        }
        try writer.publish()
        logger.notice("tokenledgerd pull stopped", ["pull.records": "\(recordsWritten)"])
    }

    // MARK: - Subscribe mode

    /// Subscribes, drains the records queued while no subscriber was connected, then writes
    /// pushed records until the connection fails.
    private func subscribeSession() throws(PullError) {
        let client = try RESPClient(address: address, timeoutMilliseconds: timeoutMilliseconds)
        try client.authenticate(key)
        try client.send("SUBSCRIBE", "usage")
        let reply = try client.read()
        guard case .array(let items?) = reply, items.count == 3, items[0] == .bulk(Array("subscribe".utf8)) else {
            if case .error(let message) = reply {
                if settings.mode == .auto && message.lowercased().contains("unknown command") {
                    throw PullError(.respUnsupported, "\(address) does not support SUBSCRIBE")
                }
                throw PullError(
                    .proxyError, "\(address) rejected SUBSCRIBE usage: '\(RESPClient.clipped(message))'")
            }
            throw PullError(.protocolViolation, "\(address) sent an unexpected response to SUBSCRIBE")
        }
        let subscribedAt = clock()
        try restoreContact()
        logger.info("subscribed to the usage channel", ["pull.proxy": address.description])
        // While no subscriber was connected, the proxy queued records instead of publishing them.
        try drainQueue()
        lastSafe = subscribedAt

        var idleSince = monotonicMilliseconds()
        var pingSentAt: Int64?
        while true {
            try writer.rotateIfDue()
            warnIfQuiet()
            guard try client.connection.waitUntilReadable(timeoutMilliseconds: 1000) else {
                let now = monotonicMilliseconds()
                if let pingSentAt {
                    if now - pingSentAt > Int64(timeoutMilliseconds) {
                        throw PullError(
                            .timedOut,
                            "\(address) did not answer PING within \(timeoutMilliseconds) ms; the proxy is stuck or "
                                + "the connection is dead")
                    }
                } else if now - idleSince >= Self.idlePingMilliseconds {
                    try client.send("PING")
                    pingSentAt = now
                }
                continue
            }
            var payloads: [[UInt8]] = []
            repeat {
                switch try client.read() {
                case .array(let elements?) where elements.count == 3 && elements[0] == .bulk(Array("message".utf8)):
                    guard case .bulk(let payload?) = elements[2] else {
                        throw PullError(.protocolViolation, "\(address) sent a message without a payload")
                    }
                    payloads.append(payload)
                case .array(let elements?) where elements.first == .bulk(Array("pong".utf8)):
                    pingSentAt = nil
                case .error(let message):
                    throw PullError(
                        .proxyError, "\(address) sent an error on the subscription: '\(RESPClient.clipped(message))'")
                default:
                    throw PullError(.protocolViolation, "\(address) sent an unexpected reply on the subscription")
                }
            } while try hasMore(client, count: payloads.count)
            idleSince = monotonicMilliseconds()
            let receivedAt = clock()
            try write(payloads)
            lastSafe = receivedAt
        }
    }

    /// Returns whether another message can be read at once, up to 1000 per batch.
    private func hasMore(_ client: RESPClient, count: Int) throws(PullError) -> Bool {
        guard count < 1000 else { return false }
        return try client.connection.waitUntilReadable(timeoutMilliseconds: 0)
    }

    /// Pops every queued record over a second connection with `LPOP usage N`.
    private func drainQueue() throws(PullError) {
        let client = try RESPClient(address: address, timeoutMilliseconds: timeoutMilliseconds)
        try client.authenticate(key)
        while true {
            let records = try client.pop(count: settings.pullCount)
            try write(records)
            if records.count < settings.pullCount {
                return
            }
        }
    }

    // MARK: - Poll mode

    /// Polls the HTTP usage queue endpoint until a request fails.
    private func pollSession() throws(PullError) {
        let client = HTTPClient(address: address, timeoutMilliseconds: timeoutMilliseconds)
        let path = "/v0/management/usage-queue?count=\(settings.pullCount)"
        while true {
            try writer.rotateIfDue()
            warnIfQuiet()
            let startedAt = clock()
            if hadContact, pendingGap == nil, startedAt - lastSafe > retentionNanoseconds {
                pendingGap = (.retentionRisk, lastSafe)
            }
            let response = try client.get(path, key: key)
            try check(response)
            let payloads = try QueueRecords.splitArray(response.body, from: address)
            try restoreContact()
            try write(payloads)
            lastSafe = startedAt
            if payloads.count < settings.pullCount {
                try TCPConnection.sleep(milliseconds: Int64(settings.pullInterval * 1000))
            }
        }
    }

    /// Maps an HTTP status other than 200 to an error with the proxy's own message.
    private func check(_ response: HTTPResponse) throws(PullError) {
        guard response.status != 200 else { return }
        var detail = ""
        if let message = (try? JSONParser.parse(response.body))?.objectValue?["error"]?.stringValue {
            detail = ": " + RESPClient.clipped(message)
        }
        switch response.status {
        case 401, 403:
            throw PullError(
                .unauthorized,
                "\(address) rejected the management key (HTTP \(response.status)\(detail)); put the proxy's "
                    + "management key into the key file")
        case 404:
            throw PullError(
                .endpointNotFound,
                "\(address) has no usage queue (HTTP 404 for /v0/management/usage-queue); the proxy is too old or "
                    + "runs without a management key. Set remote-management.secret-key and usage-statistics-enabled: "
                    + "true in its config.yaml")
        default:
            throw PullError(.proxyError, "\(address) responded with HTTP \(response.status)\(detail)")
        }
    }

    // MARK: - Writing

    /// Writes the spool lines among `payloads`; control objects are dropped.
    private func write(_ payloads: [[UInt8]]) throws(PullError) {
        guard !payloads.isEmpty else { return }
        var lines: [[UInt8]] = []
        lines.reserveCapacity(payloads.count)
        var unwritable = 0
        for payload in payloads {
            switch QueueRecords.classify(payload) {
            case .line(let line): lines.append(line)
            case .control: logger.debug("dropped a subscription control object")
            case .unwritable: unwritable += 1
            }
        }
        if unwritable > 0 {
            logger.warning(
                "dropped payloads that are not JSON and contain line breaks", ["pull.dropped": "\(unwritable)"])
        }
        try writer.append(lines)
        recordsWritten += lines.count
        if !lines.isEmpty {
            lastRecordAt = clock()
            logger.log(.trace, "records written", ["pull.records": "\(lines.count)"])
        }
    }

    /// Writes the pending gap marker, if any, and resets the failure state after a successful
    /// request.
    private func restoreContact() throws(PullError) {
        hadContact = true
        if let gap = pendingGap {
            let now = clock()
            var reason = gap.reason
            if reason == .disconnect && now - gap.since > retentionNanoseconds {
                reason = .retentionRisk
            }
            let marker = GapMarker(reason: reason, sinceNanoseconds: gap.since, atNanoseconds: now)
            try writer.append([Array(marker.line.utf8)])
            pendingGap = nil
            logger.warning(
                "records produced in this window may be missing; wrote a gap marker",
                [
                    "gap.reason": reason.rawValue, "gap.since": Timestamp.formatRFC3339(gap.since),
                    "gap.at": Timestamp.formatRFC3339(now),
                ])
        }
        if lastFailureCode != nil {
            logger.notice(
                "connected to the proxy again",
                ["pull.proxy": address.description, "pull.failures": "\(repeatedFailures)"])
        }
        lastFailureCode = nil
        repeatedFailures = 0
        backoff.reset()
    }

    // MARK: - Failures

    /// Logs `error`, opens a gap window, and waits before the next attempt.
    /// - Throws: ``PullError`` with code `interrupted` when a stop arrives while waiting.
    private func recover(from error: PullError) throws(PullError) {
        if hadContact || pendingGap != nil {
            if pendingGap == nil {
                pendingGap = (.disconnect, lastSafe)
            }
            if error.code == .connectionRefused, pendingGap?.reason == .disconnect {
                // A refused connection means the proxy process is down, and its queue is gone.
                pendingGap?.reason = .proxyRestart
            }
        }
        repeatedFailures = lastFailureCode == error.code ? repeatedFailures + 1 : 1
        lastFailureCode = error.code
        let isOperatorError = error.code == .unauthorized || error.code == .endpointNotFound
        if repeatedFailures == 1 || repeatedFailures % 100 == 0 {
            logger.log(
                isOperatorError ? .error : .warning, "request to the proxy failed; retrying",
                ["error": error.message, "error.code": error.code.rawValue, "pull.failures": "\(repeatedFailures)"])
        }
        try? writer.rotateIfDue()
        switch error.code {
        case .unauthorized where error.message.contains("IP banned"):
            try TCPConnection.sleep(milliseconds: Self.banWaitMilliseconds)
        case .unauthorized:
            try waitForNewKey()
        case .endpointNotFound:
            var slow = ReconnectBackoff(initialMilliseconds: 30_000, maximumMilliseconds: 300_000)
            for _ in 0..<repeatedFailures - 1 { _ = slow.nextDelay() }
            try TCPConnection.sleep(milliseconds: slow.nextDelay())
        default:
            try TCPConnection.sleep(milliseconds: backoff.nextDelay())
        }
    }

    /// Waits until the key file contains another key, or 30 minutes, so that a wrong key never
    /// triggers the proxy's ban after five failed attempts.
    private func waitForNewKey() throws(PullError) {
        let deadline = monotonicMilliseconds() + Self.rejectedKeyWaitMilliseconds
        while monotonicMilliseconds() < deadline {
            try TCPConnection.sleep(milliseconds: 2000)
            if let candidate = try? ManagementKey(path: key.path), candidate.bytes != key.bytes {
                key = candidate
                logger.notice("the management key file changed; trying the new key", ["pull.key_file": key.path])
                return
            }
        }
    }

    /// Logs once per quiet period that no records arrive, which is what a proxy with usage
    /// statistics turned off looks like.
    private func warnIfQuiet() {
        let now = clock()
        guard now - lastRecordAt >= Self.quietNanoseconds, now - quietWarningAt >= Self.quietNanoseconds else { return }
        quietWarningAt = now
        logger.notice(
            "no usage records from the proxy for 15 minutes; check usage-statistics-enabled: true in its config.yaml",
            ["pull.proxy": address.description])
    }
}
