import Foundation
import LedgerCore
import Testing

@Suite("Extended Pareto, chart and export check", .serialized)
struct ExportCheckTests {
    /// Counts the pixels of a PNG that are not near-white, with Python's `zlib` and `struct`.
    ///
    /// Prints `width height non_white`. Handles 8-bit RGB and RGBA without interlacing, which is
    /// what `rsvg-convert` writes.
    static let pngStatistics = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        position, idat = 8, b''
        while position < len(data):
            length, kind = struct.unpack('>I4s', data[position:position + 8])
            body = data[position + 8:position + 8 + length]
            if kind == b'IHDR':
                width, height, depth, color, _, _, interlace = struct.unpack('>IIBBBBB', body)
            elif kind == b'IDAT':
                idat += body
            position += 12 + length
        assert depth == 8, 'bit depth %d' % depth
        assert color in (2, 6), 'color type %d' % color
        assert interlace == 0, 'interlaced'
        channels = 3 if color == 2 else 4
        raw = zlib.decompress(idat)
        stride = width * channels
        previous = bytearray(stride)
        non_white = 0
        for row in range(height):
            start = row * (stride + 1)
            kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                up = previous[i]
                corner = previous[i - channels] if i >= channels else 0
                if kind == 1: line[i] = (line[i] + left) & 255
                elif kind == 2: line[i] = (line[i] + up) & 255
                elif kind == 3: line[i] = (line[i] + (left + up) // 2) & 255
                elif kind == 4:
                    estimate = left + up - corner
                    pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                    line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
            for x in range(width):
                pixel = line[x * channels:x * channels + channels]
                alpha = pixel[3] if channels == 4 else 255
                if alpha > 0 and min(pixel[:3]) < 240:
                    non_white += 1
            previous = line
        print(width, height, non_white)
        """

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("extended Pareto reflects fixture latency and success")
    func extendedPareto() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        #expect(try harness.runOnce().status == 0)
        let ledger = harness.state.appendingPathComponent("ledger")
        let pareto = try String(
            contentsOf: ledger.appendingPathComponent("unified_model_provider_pareto_extended.csv"), encoding: .utf8)
        let rows = pareto.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 57)
        // codex/gpt-5 gathers 68 attempts: 60 succeeded, 7 failed, 1 client cancellation, so the
        // success rate is 60 / 67 = 0.895522. The median latency of the 60 successes is 17,927 ms
        // (see LedgerFilesTests, which derives it from the fixtures' truth files). Quality is the
        // mean of 0.895522 and the benchmark's 47 / 57 = 0.824561, so 0.860042; latency
        // 1 / (1 + 17.927) = 0.052835; cost 1 / (1 + 5.625) = 0.150943; score
        // 100 × (0.5 × 0.8600415 + 0.3 × 0.150943 + 0.2 × 0.052835) = 48.587078.
        let row = try #require(rows.first { $0[0] == "30" })
        #expect(
            row.prefix(12).joined(separator: ",")
                == "30,codex,gpt-5,48.587078,0.860042,0.150943,0.052835,5.625000,17927.000000,0.895522,0.824561,"
                + "tokenledgerd:events")
        #expect(row[13] == "68")
        #expect(row[14] == "60")
        #expect(row[17] == "true")
        #expect(row[18] == "")

        // The runtime cost is the exact sum of the exported per-event costs of codex/gpt-5.
        var cost = Money.zero
        for event in try harness.exportEvents().values
        where event["provider"]?.stringValue == "codex" && event["model"]?.stringValue == "gpt-5" {
            if let text = event["cost_usd"]?.stringValue {
                cost = cost + (try #require(Money(parsing: text)))
            }
        }
        #expect(row[15] == Substring(cost.description))
        #expect(!cost.isZero)

        let extended = try String(
            contentsOf: ledger.appendingPathComponent("cliproxyapi_runtime_metrics_extended.csv"), encoding: .utf8)
        #expect(extended.contains(",59,0,0,0,\(cost.description)\r\n"), "codex/gpt-5: 59 priced, 0 unpriced")
    }

    @Test("Pareto chart renders to a non-blank PNG")
    func chartRenders() throws {
        let converter = "/usr/bin/rsvg-convert"
        try #require(
            FileManager.default.isExecutableFile(atPath: converter),
            "rsvg-convert is missing; run scripts/setup.sh to install librsvg2-bin")
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(FixtureTruthTests.fixtureFiles)
        #expect(try harness.runOnce().status == 0)
        let svg = harness.state.appendingPathComponent("ledger/pareto.svg")
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        #expect(svgText.contains(">codex/gpt-5 (25 models)</text>"))
        #expect(svgText.contains(">claude/claude-sonnet-4-5</text>"))
        let png = harness.root.appendingPathComponent("pareto.png")
        let conversion = try Self.run(converter, ["-o", png.path, svg.path])
        #expect(conversion.status == 0, "\(conversion.output)")
        let script = harness.root.appendingPathComponent("png_statistics.py")
        try Data(Self.pngStatistics.utf8).write(to: script)
        let statistics = try Self.run("/usr/bin/python3", [script.path, png.path])
        #expect(statistics.status == 0, "\(statistics.output)")
        let numbers = statistics.output.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        #expect(numbers.count == 3)
        #expect(numbers.first == 960)
        #expect(numbers.dropFirst().first == 640)
        // Axes, grid, labels and markers cover a few percent of the 614,400 pixels.
        let nonWhite = numbers.last ?? 0
        #expect(nonWhite > 5_000, "the chart is blank")
        #expect(nonWhite < 300_000, "the chart is mostly filled")
    }

    @Test("export --check reports changed and missing files")
    func exportCheck() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["tokenledger/events.jsonl"])
        #expect(try harness.runOnce().status == 0)
        let first = try harness.run(["export", "--state-dir", harness.state.path, "--out", harness.out.path])
        #expect(first.status == 0, "\(first.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: harness.out.path).sorted()
        #expect(
            names == [
                "cliproxyapi_runtime_metrics_extended.csv", "cliproxyapi_runtime_metrics_snapshot.csv", "events.jsonl",
                "manifest.json", "pareto.svg", "rollups_daily.csv", "rollups_monthly.csv", "status.json",
                "ui_snapshot.json", "unified_model_provider_ledger.csv", "unified_model_provider_ledger.schema.sql",
                "unified_model_provider_ledger.seed.sql", "unified_model_provider_pareto.csv",
                "unified_model_provider_pareto.view.sql", "unified_model_provider_pareto_extended.csv",
            ])
        let manifest = try String(contentsOf: harness.out.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains(#""pricing":{"priced":4,"unpriced":0,"usage_missing":0}"#))
        #expect(
            manifest.contains(#""window":{"first_event":"2026-02-18T12:00:00Z","last_event":"2026-02-20T05:40:00Z"}"#))
        #expect(manifest.contains(#""events.jsonl":""#))

        #expect(try harness.runOnce().status == 0, "a fold in between changes no exported file")
        let clean = try harness.run(["export", "--state-dir", harness.state.path, "--check", harness.out.path])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.isEmpty)

        try Data("changed\n".utf8).write(to: harness.out.appendingPathComponent("rollups_daily.csv"))
        try FileManager.default.removeItem(at: harness.out.appendingPathComponent("pareto.svg"))
        let dirty = try harness.run(["export", "--state-dir", harness.state.path, "--check", harness.out.path])
        #expect(dirty.status == 1)
        #expect(
            dirty.stdout
                == "missing: \(harness.out.path)/pareto.svg\ndiffers: \(harness.out.path)/rollups_daily.csv\n")
        #expect(dirty.stderr.contains("2 of 14 files"))

        let both = try harness.run(
            ["export", "--state-dir", harness.state.path, "--check", harness.out.path, "--out", harness.out.path])
        #expect(both.status == 2)
    }
}
