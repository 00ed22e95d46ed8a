import Foundation
import LedgerCore
import Testing

/// The JSON Schemas in `schemas/` against the fixtures, a real export and known-bad instances.
@Suite("JSON Schemas", .serialized)
struct SchemaTests {
    static let lineFixtures: [(schema: String, file: String)] = [
        ("cliproxyapi-usage-queue-record.schema.json", "cliproxyapi/usage-queue.jsonl"),
        ("cliproxyapi-accounting-event-v1.schema.json", "cliproxyapi/accounting-v1.jsonl"),
        ("otlp-trace-export.schema.json", "otlp/genai-traces.jsonl"),
        ("otlp-trace-export.schema.json", "otlp/genai-traces-base64-ids.jsonl"),
        ("tokenledger-normalized-event-v1.schema.json", "tokenledger/events.jsonl"),
    ]

    @Test("every schema stays in the validated subset")
    func schemasUseSubset() throws {
        let names = try FileManager.default.contentsOfDirectory(
            atPath: Harness.packageRoot.appendingPathComponent("schemas").path
        ).filter { $0.hasSuffix(".schema.json") }
        #expect(names.count == 6)
        for name in names {
            let validator = try SchemaValidator(schema: name)
            #expect(validator.root["$schema"]?.stringValue == "https://json-schema.org/draft/2020-12/schema", "\(name)")
            // Validating `null` visits only the top level; walk every subschema for unknown keywords.
            var pending = [validator.root]
            while let schema = pending.popLast() {
                guard let object = schema.objectValue else { continue }
                for key in object.keys {
                    #expect(
                        SchemaValidator.keywords.contains(key) || SchemaValidator.annotations.contains(key),
                        "\(name) uses \(key)")
                }
                for key in ["items", "additionalProperties"] {
                    if let child = object[key], child.objectValue != nil { pending.append(child) }
                }
                for key in ["properties", "$defs"] {
                    pending += object[key]?.objectValue?.members.map(\.value) ?? []
                }
            }
        }
    }

    @Test("fixture lines validate")
    func fixturesValidate() throws {
        for (schema, file) in Self.lineFixtures {
            let validator = try SchemaValidator(schema: schema)
            let lines = try fixtureLines(file)
            #expect(!lines.isEmpty)
            for (index, line) in lines.enumerated() {
                let errors = validator.validate(try JSONParser.parse(line))
                #expect(errors.isEmpty, "\(file) line \(index + 1): \(errors)")
            }
        }
        let legacy = try SchemaValidator(schema: "cliproxyapi-legacy-export.schema.json")
        let document = try JSONParser.parse(
            Array(try Data(contentsOf: Harness.fixture("cliproxyapi/legacy-export.json"))))
        #expect(legacy.validate(document) == [])
    }

    @Test("exported events validate")
    func exportValidates() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures([
            "cliproxyapi/usage-queue.jsonl", "cliproxyapi/accounting-v1.jsonl", "otlp/genai-traces.jsonl",
            "tokenledger/events.jsonl",
        ])
        #expect(try harness.runOnce().status == 0)
        #expect(
            try harness.run([
                "import", Harness.fixture("cliproxyapi/legacy-export.json").path, "--state-dir",
                harness.state.path,
            ]).status == 0)
        _ = try harness.exportEvents()
        let validator = try SchemaValidator(schema: "tokenledgerd-exported-event.schema.json")
        let lines = try harness.exportedEventLines()
        #expect(lines.count == 400 + 120 + 300 + 4 + 5)
        var sources: Set<String> = []
        for (index, line) in lines.enumerated() {
            let event = try JSONParser.parse(line)
            sources.insert(event["source"]?.stringValue ?? "")
            let errors = validator.validate(event)
            #expect(errors.isEmpty, "events.jsonl line \(index + 1): \(errors)")
        }
        #expect(sources.count == 5)
    }

    @Test(
        "invalid instances are reported",
        arguments: [
            (#"{"usage":{}}"#, "missing required member provider"),
            (#"{"provider":"codex","model":"m","timestamp":"t","usage":{"input_tokens":-1}}"#, "below the minimum"),
            (#"{"provider":"codex","model":"m","timestamp":"t","usage":{"input_tokens":1.5}}"#, "expected integer"),
            (#"{"provider":"","model":"m","timestamp":"t","usage":{}}"#, "does not match"),
        ])
    func invalidInstances(text: String, message: String) throws {
        let validator = try SchemaValidator(schema: "tokenledger-normalized-event-v1.schema.json")
        let errors = validator.validate(try JSONParser.parse(text))
        #expect(errors.contains { $0.contains(message) }, "\(errors)")
    }

    @Test("export schema rejects unknown members")
    func exportIsClosed() throws {
        let validator = try SchemaValidator(schema: "tokenledgerd-exported-event.schema.json")
        let errors = validator.validate(try JSONParser.parse(#"{"provider":"codex","surprise":1}"#))
        #expect(errors.contains("/surprise: member is not allowed"))
        #expect(errors.contains(": missing required member usage"))
        let accounting = try SchemaValidator(schema: "cliproxyapi-accounting-event-v1.schema.json")
        let badID = accounting.validate(
            try JSONParser.parse(#"{"schema_version":1,"execution_id":"e","started_at":"s","account_id":"abc"}"#))
        #expect(badID == ["/account_id: string does not match ^[0-9a-fA-F]{64}$"])
    }
}
