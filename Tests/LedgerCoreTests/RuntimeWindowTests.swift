import LedgerCore
import Testing

@Suite("Runtime window")
struct RuntimeWindowTests {
    @Test(
        "valid spans parse",
        arguments: [
            ("all", RuntimeWindow.all, "all"), ("30d", .last(seconds: 2_592_000), "30d"),
            ("24h", .last(seconds: 86_400), "1d"), ("90m", .last(seconds: 5_400), "90m"),
            ("1440m", .last(seconds: 86_400), "1d"), ("36h", .last(seconds: 129_600), "36h"),
            ("36500d", .last(seconds: 3_153_600_000), "36500d"),
        ])
    func validSpans(text: String, window: RuntimeWindow, description: String) {
        #expect(RuntimeWindow(parsing: text) == window)
        #expect(RuntimeWindow(parsing: text)?.description == description)
    }

    @Test(
        "invalid spans are rejected",
        arguments: [
            "", "All", "0d", "30", "d", "-1d", "1.5h", "36501d", " 30d", "30d ", "30s", "1w", "99999999999999d",
        ])
    func invalidSpans(text: String) {
        #expect(RuntimeWindow(parsing: text) == nil)
    }

    @Test("exclusive start is end minus span")
    func exclusiveStart() {
        let end: Int64 = 1_767_268_800_000_000_000
        #expect(RuntimeWindow.last(seconds: 3_600).exclusiveStart(end: end) == 1_767_265_200_000_000_000)
        #expect(RuntimeWindow.last(seconds: 3_600).exclusiveStart(end: nil) == nil)
        #expect(RuntimeWindow.all.exclusiveStart(end: end) == nil)
        #expect(RuntimeWindow.last(seconds: 3_600).exclusiveStart(end: Int64.min + 5) == Int64.min)
    }
}
