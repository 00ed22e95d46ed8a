import LedgerCore
import LedgerStore

/// The pricing file that ingestion prices new events with, so that they are stored with their
/// cost instead of being read back and updated by the next fold.
///
/// A fold reads the pricing file again every time it runs, and a configuration reload may name
/// another file. ``recorder()`` reads the file on every call, and the ingestor calls it once per
/// pass, so events are priced with the file that the fold after the pass reads, unless the file
/// changes during the pass. A changed file is parsed again; unchanged bytes reuse the parsed one.
final class IngestPricing {
    /// The pricing file's path, as the fold reads it.
    let path: String
    private let logger: Logger
    private var bytes: [UInt8]?
    private var cachedRecorder: CostRecorder?

    /// Creates a source that reads the pricing file at `path`.
    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// Returns the recorder for the pricing file's current bytes; `nil` when the file is missing
    /// or invalid. A fold then prices no event or fails, and ingestion leaves the events unpriced.
    func recorder() -> CostRecorder? {
        guard let current = LedgerInputs.readFile(path) else {
            bytes = nil
            cachedRecorder = nil
            return nil
        }
        if current == bytes {
            return cachedRecorder
        }
        bytes = current
        do {
            cachedRecorder = CostRecorder(pricer: try TokenledgerPricer(pricingFileBytes: current), logger: logger)
        } catch {
            cachedRecorder = nil
            logger.debug(
                "pricing file invalid; new events are stored unpriced", ["pricing.file": path, "error": "\(error)"])
        }
        return cachedRecorder
    }
}

extension CostRecorder {
    /// Prices each of `events` that has a price, as ``priceUnpriced(store:now:)`` would price it
    /// once stored, leaves the others unpriced and returns the counts.
    func price(_ events: inout [PositionedEvent], now: Int64) -> Summary {
        var summary = Summary()
        for index in events.indices {
            price(&events[index], now: now, summary: &summary)
        }
        return summary
    }

    /// Prices `positioned` in place. The event is inout, so that its provider and model are read
    /// where they are stored, without a copy of the event or a retain of each string.
    private func price(_ positioned: inout PositionedEvent, now: Int64, summary: inout Summary) {
        summary.examined += 1
        positioned.cost = cost(
            provider: positioned.event.provider, model: positioned.event.model,
            tokens: BillableTokens(
                buckets: positioned.event.buckets, separatingToolInput: positioned.event.toolInputTokens,
                toolOutput: positioned.event.toolOutputTokens),
            usageState: positioned.event.usageState, now: now, summary: &summary)
    }
}
