import Testing

@testable import LedgerCore

@Suite("Millisecond histogram")
struct MillisecondHistogramTests {
    static func histogram(_ values: [Int64]) -> SortedMilliseconds {
        var histogram = MillisecondHistogram()
        for value in values {
            histogram.append(value)
        }
        return histogram.sorted()
    }

    /// Returns the percentile of a plain sorted array, by the same formula as the fold.
    static func referencePercentile(_ values: [Int64], _ fraction: Double) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return Double(sorted[lower]) + (Double(sorted[upper]) - Double(sorted[lower])) * weight
    }

    @Test("ranks mix negative and wide values")
    func ranksAcrossWidths() {
        let sorted = Self.histogram([7, 3_000_000_000, -5, -3_000_000_000, 2_147_483_647, -2_147_483_648, 0, 7])
        #expect(sorted.count == 8)
        #expect(
            (0..<sorted.count).map { sorted[$0] } == [
                -3_000_000_000, -2_147_483_648, -5, 0, 7, 7, 2_147_483_647, 3_000_000_000,
            ])
    }

    @Test("percentiles interpolate between ranks")
    func percentiles() {
        let sorted = Self.histogram([400, 100, 300, 200])
        // Position 0.5 × 3 = 1.5: halfway between 200 and 300.
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.50) == 250)
        // Position 0.95 × 3 = 2.85: 300 + 0.85 × 100.
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.95) == 385)
        #expect(RuntimeMetricsFolder.percentile(MillisecondHistogram().sorted(), 0.50) == nil)
    }

    @Test(
        "edge cases match hand values",
        arguments: [
            ([42], [42.0, 42.0, 42.0]),
            ([100, 0], [50.0, 95.0, 99.0]),
            ([20, 10], [15.0, 19.5, 19.9]),
            // Duplicates: ranks 0 to 2 are 5, rank 3 is 9; position 0.95 × 3 = 2.85.
            ([5, 9, 5, 5], [5.0, 8.399999999999999, 8.879999999999999]),
            ([10, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [6.5, 10.0, 10.0]),
            ([3_000_000_000, -7, -3_000_000_000, 7], [0.0, 2_550_000_001.0499988, 2_910_000_000.209999]),
        ] as [([Int64], [Double])])
    func edgeCases(values: [Int64], expected: [Double]) {
        let sorted = Self.histogram(values)
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.50) == expected[0])
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.95) == expected[1])
        #expect(RuntimeMetricsFolder.percentile(sorted, 0.99) == expected[2])
    }

    @Test("many duplicates match a sorted array")
    func matchesSortedArray() {
        // A linear congruential sequence: 20,000 values in a few hundred distinct ones, some negative
        // and some beyond Int32.
        var state: UInt64 = 12_345
        var values: [Int64] = []
        for index in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var value = Int64(state >> 55) - 64
            if index % 997 == 0 { value *= 50_000_000 }
            values.append(value)
        }
        let reference = values.sorted()
        let sorted = Self.histogram(values)
        #expect(sorted.count == reference.count)
        #expect((0..<sorted.count).allSatisfy { sorted[$0] == reference[$0] })
        for fraction in [0.0, 0.25, 0.5, 0.95, 0.99, 1.0] {
            #expect(
                RuntimeMetricsFolder.percentile(sorted, fraction) == Self.referencePercentile(values, fraction),
                "fraction \(fraction)")
        }
    }
}
