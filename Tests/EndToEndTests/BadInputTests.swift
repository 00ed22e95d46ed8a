import Foundation
import LedgerCore
import Testing

@Suite("Bad input", .serialized)
struct BadInputTests {
    @Test("garbage, truncated JSON, huge line and binary file")
    func badInputIsQuarantined() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let lines = try fixtureLines("cliproxyapi/usage-queue.jsonl").prefix(5).map {
            String(decoding: $0, as: UTF8.self)
        }
        let truncated = String(lines[0].prefix(300))
        let huge = "{\"pad\":\"" + String(repeating: "x", count: 10 << 20) + "\"}"
        var mixed = lines[0] + "\n" + "this is not json\n" + truncated + "\n" + lines[1] + "\n"
        mixed += huge + "\n" + "[1,2,3]\n" + "{\"hello\":\"world\"}\n" + lines[2] + "\n"
        try harness.append(mixed, to: "mixed.jsonl")
        var binary = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
        binary.append(0x0A)
        try binary.write(to: harness.spool.appendingPathComponent("blob.jsonl"))
        try harness.append(lines[3] + "\n" + lines[4] + "\n", to: "clean.jsonl")

        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try harness.query("SELECT count(*) FROM events") == "5")
        let reasons = try harness.query(
            "SELECT reason || ':' || count(*) FROM quarantine GROUP BY reason ORDER BY reason")
        let binaryLines = binary.split(separator: 0x0A, omittingEmptySubsequences: true).count
        #expect(reasons == "invalid_json:\(2 + binaryLines)\nline_too_long:1\nunknown_shape:2")

        let tooLong = try harness.query(
            "SELECT line_offset, line_length FROM quarantine WHERE reason = 'line_too_long'")
        let hugeOffset = (lines[0] + "\n" + "this is not json\n" + truncated + "\n" + lines[1] + "\n").utf8.count
        #expect(tooLong == "\(hugeOffset)|\(huge.utf8.count)")
        let truncatedDetail = try harness.query(
            "SELECT detail FROM quarantine WHERE line_offset = \(lines[0].utf8.count + 18)")
        #expect(truncatedDetail == "unexpected end of input at byte 300")
        #expect(try harness.query("SELECT count(*) FROM files WHERE committed_offset = 0") == "0")
        #expect(run.stderr.contains("quarantine.reasons=invalid_json=2,line_too_long=1,unknown_shape=2"))
    }

    @Test("out-of-range timestamp is quarantined")
    func timestampOutOfRange() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let line = String(decoding: try fixtureLines("cliproxyapi/usage-queue.jsonl")[0], as: UTF8.self)
        let old = line.replacingOccurrences(of: "2026-11-30T17:01:06.498873-05:00", with: "2014-12-31T23:59:59Z")
        let future = line.replacingOccurrences(of: "2026-11-30T17:01:06.498873-05:00", with: "2999-01-01T00:00:00Z")
        let bad = line.replacingOccurrences(of: "2026-11-30T17:01:06.498873-05:00", with: "2026-13-01T00:00:00Z")
        try harness.append([old, future, bad].joined(separator: "\n") + "\n", to: "times.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.query("SELECT count(*) FROM events") == "0")
        #expect(
            try harness.query("SELECT reason FROM quarantine ORDER BY line_offset")
                == "timestamp_out_of_range\ntimestamp_out_of_range\ninvalid_field")
    }

    @Test("bad flag exits 2 with a message")
    func badFlag() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let run = try harness.run(["run", "--bogus"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("unknown option '--bogus'"))
        let missing = try harness.run(["export", "--state-dir", harness.state.path])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("'--out DIR' is required"))
        let command = try harness.run(["frobnicate"])
        #expect(command.status == 2)
        #expect(command.stderr.contains("unknown command 'frobnicate'"))
        for name in ["run", "fold", "export", "status"] {
            let help = try harness.run([name, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.hasPrefix("usage: tokenledgerd \(name)"))
        }
    }
}
