import Testing

@testable import LedgerCore

@Suite("Millisecond samples")
struct MillisecondSamplesTests {
    @Test("ranks mix narrow and wide values")
    func ranksAcrossWidths() {
        var samples = MillisecondSamples()
        for value: Int64 in [7, 3_000_000_000, -5, -3_000_000_000, 2_147_483_647, -2_147_483_648, 0] {
            samples.append(value)
        }
        let sorted = samples.sorted()
        #expect(sorted.count == 7)
        #expect(
            (0..<sorted.count).map { sorted[$0] } == [
                -3_000_000_000, -2_147_483_648, -5, 0, 7, 2_147_483_647, 3_000_000_000,
            ])
    }

    @Test("percentiles interpolate between ranks")
    func percentiles() {
        var samples = MillisecondSamples()
        for value: Int64 in [400, 100, 300, 200] {
            samples.append(value)
        }
        let sorted = samples.sorted()
        // Position 0.5 × 3 = 1.5: halfway between 200 and 300.
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.50) == 250)
        // Position 0.95 × 3 = 2.85: 300 + 0.85 × 100.
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.95) == 385)
        #expect(RuntimeMetricsFolder.percentile(MillisecondSamples().sorted(), 0.50) == nil)
    }
}
