import Foundation
import LedgerCore
import Testing

/// Usage-queue records whose `provider` or `model` contains `\u0000`, which is valid JSON.
/// The store binds text up to its first NUL, so such a record must keep its whole value or be
/// quarantined. Stored under the shorter name, it would count for another provider or model.
@Suite("NUL characters in usage-queue strings")
struct NulCharacterTests {
    /// Returns the template record with `provider` and `model` replaced by JSON-escaped values.
    static func line(requestID: String, provider: String, model: String) -> String {
        Records.template
            .replacingOccurrences(of: "\"request_id\":\"8201e2bd\"", with: "\"request_id\":\"\(requestID)\"")
            .replacingOccurrences(of: "\"provider\":\"antigravity\"", with: "\"provider\":\"\(provider)\"")
            .replacingOccurrences(of: "\"model\":\"gemini-3-pro-high\"", with: "\"model\":\"\(model)\"")
    }

    @Test("a NUL never shortens a stored provider or model")
    func nulIsKeptOrQuarantined() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let lines = [
            Self.line(requestID: "plain", provider: "claude", model: "claude-sonnet-4-5"),
            Self.line(requestID: "nul-provider", provider: "claude\\u0000x", model: "claude-sonnet-4-5"),
            Self.line(requestID: "nul-model", provider: "claude", model: "claude-sonnet-4-5\\u0000-cheap"),
        ]
        #expect(lines.allSatisfy { $0.contains("\"request_id\":\"") && !$0.contains("antigravity") })
        try harness.append(lines.joined(separator: "\n") + "\n", to: "nul.jsonl")
        #expect(try harness.runOnce().status == 0)

        let events = try harness.exportEvents().values
        let byRequest = Dictionary(
            uniqueKeysWithValues: events.compactMap { event in
                event["request_id"]?.stringValue.map { ($0, event) }
            })
        #expect(byRequest["plain"]?["model"]?.stringValue == "claude-sonnet-4-5")
        let quarantined = Int(try harness.query("SELECT count(*) FROM quarantine")) ?? -1
        if let event = byRequest["nul-provider"] {
            #expect(event["upstream_provider"]?.stringValue == "claude\u{0}x")
        }
        if let event = byRequest["nul-model"] {
            #expect(event["model"]?.stringValue == "claude-sonnet-4-5\u{0}-cheap")
        }
        #expect(byRequest.count + quarantined == 3)
    }
}
