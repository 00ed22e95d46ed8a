/// Millisecond values counted per distinct value, for exact percentiles.
///
/// Latencies and times to first token are whole milliseconds, so many attempts share a value. The
/// (value, count) pairs determine the value at each rank, so each percentile equals the one read
/// from the sorted list of every value. Memory grows with the number of distinct values (about 21
/// to 43 bytes each in the table), not with the number of values.
struct MillisecondHistogram {
    private var counts = IntegerCountTable()

    /// Counts one more occurrence of `value`.
    mutating func append(_ value: Int64) {
        counts.add(value)
    }

    /// Returns the values in ascending order.
    func sorted() -> SortedMilliseconds {
        SortedMilliseconds(counts: counts.entries)
    }
}

/// Millisecond values in ascending order, read by rank, stored as distinct values and the rank
/// that follows the last copy of each.
struct SortedMilliseconds {
    private let values: [Int64]
    /// `ends[i]` is the number of values less than or equal to `values[i]`.
    private let ends: [Int]

    /// Creates the sorted values from distinct values and their counts.
    init(counts: [(key: Int64, count: Int)]) {
        let sorted = counts.sorted { $0.key < $1.key }
        values = sorted.map(\.key)
        var ends: [Int] = []
        ends.reserveCapacity(sorted.count)
        var total = 0
        for entry in sorted {
            total += entry.count
            ends.append(total)
        }
        self.ends = ends
    }

    /// The number of values, duplicates included.
    var count: Int { ends.last ?? 0 }

    /// The value at `rank`, counting from 0 in ascending order; `rank` must be below ``count``.
    subscript(rank: Int) -> Int64 {
        precondition(rank >= 0 && rank < count, "rank \(rank) outside 0..<\(count)")
        // The first distinct value whose copies reach past `rank`.
        var low = 0
        var high = ends.count - 1
        while low < high {
            let middle = (low + high) / 2
            if ends[middle] > rank {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return values[low]
    }
}
