import Foundation
import Glibc
import LedgerCore
import Testing

/// Acceptance tests of `tokenledgerd pull`: complete streams in both modes, `SIGKILL` and restart,
/// the path into the store, and the management key's secrecy.
@Suite("pull acceptance", .serialized)
struct PullAcceptanceTests {
    /// The sequence number of a synthetic record line, from its `request_id`.
    static func sequence(of line: String) -> Int? {
        guard let range = line.range(of: "\"request_id\":\"") else { return nil }
        return Int(line[range.upperBound...].prefix(8))
    }

    @Test("10,000 records arrive complete and in order", arguments: ["poll", "subscribe"])
    func tenThousandRecords(mode: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let pull = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: PullTests.fastConfig, extra: ["--mode", mode])
        if mode == "subscribe" {
            #expect(harness.waitUntil(timeout: 10) { simulator.subscriberCount == 1 })
        }
        let publisher = Publisher(simulator, records: 1...10_000, perSecond: 2000)
        #expect(publisher.wait(timeout: 30))
        #expect(harness.waitUntil(timeout: 20) { (try? harness.allSpoolLines().count) == 10_000 })
        #expect(pull.stop() == 0, "\(pull.stderr)")

        let lines = try harness.spoolLines()
        #expect(lines.count == 10_000)
        let mismatch = zip(lines, PullTests.lines(1...10_000)).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(mismatch == nil, "first difference at line \(mismatch?.offset ?? -1)")
        #expect(simulator.snapshot.dropped.isEmpty)
        #expect(simulator.snapshot.slowSubscribersDropped == 0)
    }

    @Test("SIGKILL loses only what was in flight", arguments: ["poll", "subscribe"])
    func killAndRestart(mode: String) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile(simulator.key)
        let first = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: PullTests.fastConfig, extra: ["--mode", mode])
        if mode == "subscribe" {
            #expect(harness.waitUntil(timeout: 10) { simulator.subscriberCount == 1 })
        }
        let publisher = Publisher(simulator, records: 1...4000, perSecond: 2000)
        #expect(harness.waitUntil(timeout: 10) { publisher.published >= 1500 })
        #expect(first.stop(signal: SIGKILL) == 9)
        // The simulator notices the dead subscriber when its next write fails.
        #expect(harness.waitUntil(timeout: 5) { simulator.subscriberCount == 0 })
        usleep(200_000)
        let firstRunLines = try harness.allSpoolLines().count

        let second = try PullProcess(
            harness, simulator: simulator, keyFile: keyFile, config: PullTests.fastConfig, extra: ["--mode", mode])
        #expect(publisher.wait(timeout: 30))
        #expect(harness.waitUntil(timeout: 20) { simulator.queuedCount == 0 })
        usleep(500_000)
        #expect(second.stop() == 0, "\(second.stderr)")

        let lines = try harness.spoolLines()
        let records = PullTests.records(lines)
        let gaps = try PullTests.gaps(lines)
        // Every record written once, in publish order.
        let sequences = records.compactMap(Self.sequence(of:))
        #expect(sequences.count == records.count)
        #expect(Set(sequences).count == sequences.count, "a record was written twice")
        #expect(sequences == sequences.sorted())
        // The restart is marked right after the first run's last complete line.
        #expect(gaps.map(\.reason) == ["shipper_restart"])
        #expect(lines.firstIndex { $0.hasPrefix("{\"tokenledgerd_gap\"") } == firstRunLines)
        // Whatever is missing was handed to the killed process or dropped by the simulator. The
        // deliveries are read only now: under load the simulator may finish a write to the killed
        // connection after the kill. The second process writes everything it receives, so a
        // delivered but unwritten record went to the killed one.
        let deliveredToKilled = Set(
            simulator.snapshot.delivered.values.flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) })
        let written = Set(records)
        let dropped = Set(simulator.snapshot.dropped.map { String(decoding: $0, as: UTF8.self) })
        let missing = PullTests.lines(1...4000).filter { !written.contains($0) }
        for line in missing {
            #expect(
                deliveredToKilled.contains(line) || dropped.contains(line), "lost without a cause: \(line.prefix(80))")
        }
        #expect(!(try harness.spoolFileNames().contains { $0.hasPrefix(".") }))
    }

    @Test("pulled spool ingests like the records")
    func endToEnd() throws {
        let pulled = try Harness()
        defer { pulled.cleanUp() }
        let direct = try Harness()
        defer { direct.cleanUp() }
        let simulator = try QueueSimulator()
        defer { simulator.stop() }
        let keyFile = try pulled.writeKeyFile(simulator.key)
        let pull = try PullProcess(pulled, simulator: simulator, keyFile: keyFile, config: PullTests.fastConfig)
        #expect(pulled.waitUntil(timeout: 10) { simulator.subscriberCount == 1 })
        let fixture = try fixtureLines("cliproxyapi/usage-queue.jsonl")
        // At the pace of real traffic: a burst of 400 in a tight loop would put the subscriber
        // 256 messages behind, which the proxy answers by dropping it.
        for line in fixture {
            simulator.publish(line)
            usleep(1000)
        }
        #expect(pulled.waitUntil(timeout: 10) { (try? pulled.allSpoolLines().count) == fixture.count })
        #expect(pull.stop() == 0)

        try direct.write(
            simulator.snapshot.published.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined(), to: "direct.jsonl"
        )
        #expect(try pulled.runOnce().status == 0)
        #expect(try direct.runOnce().status == 0)
        let pulledEvents = try pulled.exportEvents()
        let directEvents = try direct.exportEvents()
        #expect(!pulledEvents.isEmpty)
        #expect(pulledEvents.count == directEvents.count)
        #expect(pulledEvents == directEvents)
    }

    @Test("management key stays secret")
    func keyStaysSecret() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let key = "mgmt-secret-\(UUID().uuidString)"
        let simulator = try QueueSimulator(key: key)
        defer { simulator.stop() }
        let keyFile = try harness.writeKeyFile(key)
        let pull = try PullProcess(harness, simulator: simulator, keyFile: keyFile, config: PullTests.fastConfig)
        #expect(harness.waitUntil(timeout: 10) { simulator.subscriberCount == 1 })
        for sequence in 1...20 {
            simulator.publish(Array(Records.usageLine(sequence).utf8))
        }
        #expect(harness.waitUntil(timeout: 10) { (try? harness.allSpoolLines().count) == 20 })
        let pid = pull.process.processIdentifier
        let commandLine = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        let title = try String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
        let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
        #expect(pull.stop() == 0)

        let needle = Data(key.utf8)
        #expect(commandLine.range(of: needle) == nil)
        #expect(!title.contains(key))
        #expect(environ.range(of: needle) == nil)
        #expect(!pull.stderr.contains(key))
        #expect(try harness.runOnce().status == 0)
        _ = try harness.exportEvents()
        for directory in [harness.spool, harness.out] {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                #expect(data.range(of: needle) == nil, "the key appears in \(name)")
            }
        }
    }
}
