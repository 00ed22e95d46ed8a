import Foundation
import Glibc
import LedgerCore
import Testing

/// `tokenledgerd pull` against the queue simulator: modes, control objects, gap markers and
/// error handling, with the spool checked line by line.
@Suite("pull", .serialized)
struct PullTests {
    /// Fast settings for tests: poll every 50 ms, publish files every 300 ms.
    static let fastConfig = "pull_interval = 50ms\nrotate_interval = 300ms\nrequest_timeout = 2\n"

    /// The expected spool lines for `range`.
    static func lines(_ range: ClosedRange<Int>) -> [String] {
        range.map { Records.usageLine($0) }
    }

    /// The gap markers among `lines`, decoded.
    static func gaps(_ lines: [String]) throws -> [GapMarker] {
        try lines.filter { $0.hasPrefix("{\"tokenledgerd_gap\"") }.map { line in
            let object = try #require(try JSONParser.parse(line).objectValue)
            return try GapMarkerDecoder.decode(
                object, rawLine: Array(line.utf8), now: Int64(Date().timeIntervalSince1970 * 1e9)
            ).marker
        }
    }

    /// Lines that are not gap markers.
    static func records(_ lines: [String]) -> [String] {
        lines.filter { !$0.hasPrefix("{\"tokenledgerd_gap\"") }
    }

    @Test("poll mode ships records in order")
    func pollMode() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        for sequence in 1...150 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig, extra: ["--mode", "poll"])
        let publisher = Publisher(simulator, records: 151...400, perSecond: 500)
        #expect(publisher.wait())
        #expect(harness.waitUntil(timeout: 20) { (try? harness.allSpoolLines().count) == 400 })
        #expect(pull.stop() == 0, "\(pull.stderr)")

        #expect(try harness.spoolLines() == Self.lines(1...400))
        #expect(try harness.spoolFileNames().allSatisfy { !$0.hasPrefix(".") })
        #expect(try harness.spoolFileNames().allSatisfy { $0.hasPrefix("cliproxyapi-") && $0.hasSuffix(".jsonl") })
        #expect(simulator.snapshot.respConnections == 0)
        #expect(simulator.queuedCount == 0)
    }

    @Test("subscribe mode drops control objects")
    func subscribeMode() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        // Queued before anyone subscribes: the shipper drains them with LPOP after subscribing.
        for sequence in 1...50 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig)
        #expect(harness.waitUntil(timeout: 10) { simulator.subscriberCount == 1 && simulator.queuedCount == 0 })
        for sequence in 51...100 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        simulator.notifyRefresh()
        for sequence in 101...200 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        #expect(harness.waitUntil(timeout: 20) { (try? harness.allSpoolLines().count) == 200 })
        #expect(pull.stop() == 0)
        #expect(try harness.spoolLines().count == 200, "\(pull.stderr)")
        #expect(try harness.spoolLines() == Self.lines(1...200))
        let refreshLines = try harness.spoolLines().filter { $0.contains("refresh\":true") }
        #expect(refreshLines.isEmpty)
        #expect(simulator.snapshot.httpRequests == 0)
    }

    @Test("auto mode falls back to polling")
    func autoFallsBackToPoll() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator(speaksRESP: false)
        defer { simulator.stop() }
        for sequence in 1...20 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig)
        #expect(harness.waitUntil(timeout: 10) { (try? harness.allSpoolLines().count) == 20 })
        #expect(pull.stop() == 0)
        #expect(try harness.spoolLines() == Self.lines(1...20))
        #expect(pull.stderr.contains("the proxy has no RESP interface; polling over HTTP instead"))
    }

    @Test("subscriber disconnect writes gap marker")
    func subscriberDisconnect() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig)
        #expect(harness.waitUntil(timeout: 10) { simulator.subscriberCount == 1 })
        for sequence in 1...30 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        #expect(harness.waitUntil(timeout: 10) { (try? harness.allSpoolLines().count) == 30 })
        simulator.disconnectSubscribers()
        // Nobody is subscribed now, so these are queued, and drained after the reconnect.
        for sequence in 31...60 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        #expect(harness.waitUntil(timeout: 15) { (try? harness.allSpoolLines().count) == 61 })
        #expect(pull.stop() == 0)

        let lines = try harness.spoolLines()
        #expect(Self.records(lines) == Self.lines(1...60))
        let gaps = try Self.gaps(lines)
        #expect(gaps.map(\.reason) == ["disconnect"])
        #expect(lines.firstIndex { $0.hasPrefix("{\"tokenledgerd_gap\"") } == 30)
    }

    @Test("proxy restart is marked as gap")
    func proxyRestart() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig, extra: ["--mode", "poll"])
        for sequence in 1...40 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        #expect(harness.waitUntil(timeout: 10) { (try? harness.allSpoolLines().count) == 40 })
        try simulator.restart(downtime: 1.5)
        for sequence in 41...80 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        #expect(harness.waitUntil(timeout: 15) { (try? harness.allSpoolLines().count) == 81 })
        #expect(pull.stop() == 0)

        let lines = try harness.spoolLines()
        #expect(Self.records(lines) == Self.lines(1...80))
        let gaps = try Self.gaps(lines)
        #expect(gaps.map(\.reason) == ["proxy_restart"])
        #expect(pull.stderr.contains("connection refused"))
    }

    @Test("retention expiry drops old records")
    func simulatorRetention() throws {
        let simulator = try QueueSimulator(retentionSeconds: 0.3)
        defer { simulator.stop() }
        for sequence in 1...5 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        usleep(500_000)
        simulator.publish(Array(Records.usageLine(6).utf8))
        #expect(simulator.queuedCount == 1)
        #expect(simulator.snapshot.dropped.count == 5)
    }

    @Test("simulator drops subscriber 256 behind")
    func simulatorSlowSubscriber() throws {
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let socket = try Self.connect(port: simulator.port)
        defer { close(socket) }
        Self.sendCommand(socket, ["AUTH", simulator.key])
        Self.sendCommand(socket, ["SUBSCRIBE", "usage"])
        #expect(Self.waitFor { simulator.subscriberCount == 1 })
        // Large payloads fill the socket buffers, then the 256-message buffer.
        let payload = "{\"padding\":\"" + String(repeating: "x", count: 16_000) + "\"}"
        var published = 0
        while simulator.subscriberCount == 1 && published < 20_000 {
            simulator.publish(Array(payload.utf8))
            published += 1
        }
        #expect(simulator.subscriberCount == 0)
        #expect(simulator.snapshot.slowSubscribersDropped == 1)
        // The record that found the buffer full went into the queue.
        #expect(simulator.queuedCount == 1)
    }

    @Test("wrong key is not retried in a loop")
    func wrongKey() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile("wrong-key-4711")
        let pull = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig, extra: ["--mode", "poll"])
        usleep(3_000_000)
        #expect(simulator.snapshot.rejectedAuthentications == 1)
        // A fixed key file is picked up without a restart.
        _ = try harness.writeKeyFile(simulator.key)
        simulator.publish(Array(Records.usageLine(1).utf8))
        #expect(harness.waitUntil(timeout: 10) { (try? harness.allSpoolLines().count) == 1 })
        #expect(pull.stop() == 0)
        #expect(pull.stderr.contains("rejected the management key (HTTP 401: invalid management key)"))
        #expect(pull.stderr.contains("the management key file changed; trying the new key"))
        #expect(!pull.stderr.contains("wrong-key-4711"))
        #expect(!pull.stderr.contains(simulator.key))
    }

    @Test("missing endpoint names the proxy settings")
    func endpointNotFound() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator(hasManagement: false)
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig, extra: ["--mode", "poll"])
        usleep(2_000_000)
        #expect(pull.stop() == 0)
        #expect(simulator.snapshot.httpRequests == 1)
        #expect(pull.stderr.contains("HTTP 404"))
        #expect(pull.stderr.contains("usage-statistics-enabled: true"))
        #expect(pull.stderr.contains("remote-management.secret-key"))
    }

    @Test("connection refused backs off")
    func connectionRefused() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        let keyFile = try harness.writeKeyFile(simulator.key)
        simulator.stop()
        let pull = try PullProcess(harness, simulator: simulator, keyFile: keyFile, config: Self.fastConfig)
        usleep(3_000_000)
        #expect(pull.stop() == 0)
        // Backoff from 1 s doubling: at most 3 attempts in 3 s, and one log line for them.
        let attempts = pull.stderr.components(separatedBy: "connection refused").count - 1
        #expect(attempts == 1, "\(pull.stderr)")
        #expect(pull.stderr.contains("nothing listens at http://127.0.0.1:\(simulator.port)"))
        #expect(try harness.spoolFileNames().isEmpty)
    }

    @Test(
        "https and remote hosts are rejected",
        arguments: [
            ("https://127.0.0.1:8317", "uses https"),
            ("http://192.0.2.10:8317", "is not a loopback address"),
            ("ftp://127.0.0.1", "is not an http:// URL"),
        ])
    func rejectedAddresses(url: String, message: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let keyFile = try harness.writeKeyFile("some-key")
        let run = try harness.run([
            "pull", "--from", url, "--spool", harness.spool.path, "--management-key-file", keyFile.path,
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("missing key file exits 2")
    func missingKeyFile() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let run = try harness.run(
            ["pull", "--from", "http://127.0.0.1:1", "--spool", harness.spool.path],
            environment: ["CREDENTIALS_DIRECTORY": nil])
        #expect(run.status == 2)
        #expect(run.stderr.contains("no management key file; give --management-key-file FILE"))
    }

    @Test("check-config shows the pull section")
    func checkConfigPull() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let path = harness.root.appendingPathComponent("t.conf").path
        try Data("[pull]\nproxy_url = http://127.0.0.1:9000\npull_mode = poll\n".utf8).write(
            to: URL(fileURLWithPath: path))
        let run = try harness.run(["check-config", "--config", path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("[pull]\n# from \(path):2\nproxy_url = http://127.0.0.1:9000\n"))
        #expect(run.stdout.contains("pull_mode = poll\n"))
        #expect(run.stdout.contains("# default: $CREDENTIALS_DIRECTORY/management-key\n"))

        try Data("[pull]\npull_mode = push\n".utf8).write(to: URL(fileURLWithPath: path))
        let bad = try harness.run(["check-config", "--config", path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("key 'pull_mode': invalid value 'push'; use one of auto, subscribe, poll"))
    }

    // MARK: - Raw socket helpers

    static func connect(port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw HarnessError(message: "connect failed") }
        return descriptor
    }

    static func sendCommand(_ socket: Int32, _ arguments: [String]) {
        var text = "*\(arguments.count)\r\n"
        for argument in arguments {
            text += "$\(argument.utf8.count)\r\n\(argument)\r\n"
        }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    static func waitFor(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
