import LedgerCore
import LedgerStore

/// Prices stored events with the tokenledger pricing file in force and records their costs.
///
/// A fold prices only the events still unpriced (`priced_at_ns IS NULL`), so an event keeps the
/// cost it was first given when the pricing file changes. ``reprice(store:since:now:)`` is the
/// explicit way to recompute costs. An event whose provider or model has no price stays unpriced
/// and is tried again once the pricing file's hash changes. Provider and model names go through
/// ``ProviderMapping`` before the pricing file's own aliases. A tokenledger normalized event's
/// tool-call tokens are taken out of its input and output buckets and billed at the tool rates.
struct CostRecorder {
    /// Events read and written per transaction.
    static let batchSize = 1000
    /// The `fold_state` entry recording `<pricing hash> <highest event id tried>`, so unpriced
    /// events are not tried again with the same pricing file.
    static let checkpointName = "pricing_checked"

    /// Counts of one pricing pass.
    struct Summary: Equatable {
        /// Events read.
        var examined = 0
        /// Events given a cost.
        var priced = 0
        /// Events without a price in the pricing file.
        var unpriced = 0
        /// Events with a price but no usage, recorded without a cost.
        var usageMissing = 0
        /// Events whose token counts no price can bill, left unpriced.
        var rejected = 0
    }

    let pricer: TokenledgerPricer
    let mapping: ProviderMapping
    let logger: Logger
    private let prices = PriceCache()

    /// Creates a recorder for a pricing file and the provider mapping derived from it.
    init(pricer: TokenledgerPricer, logger: Logger) {
        self.pricer = pricer
        self.mapping = ProviderMapping(pricing: pricer.pricing)
        self.logger = logger
    }

    /// Returns the cost to record for `candidate`: `nil` when it has no price or its counts
    /// cannot be billed.
    func cost(of candidate: PricingCandidate, now: Int64, summary: inout Summary) -> RecordedCost? {
        cost(
            provider: candidate.provider, model: candidate.model, tokens: candidate.billableTokens,
            usageState: candidate.usageState, now: now, summary: &summary)
    }

    /// Returns the cost to record for an event with these fields, as ``cost(of:now:summary:)``
    /// returns it for the event's ``PricingCandidate``. Taking the fields instead of the event
    /// lets a caller pass them without copying the event and its strings.
    func cost(
        provider: String, model: String, tokens: BillableTokens, usageState: UsageState, now: Int64,
        summary: inout Summary
    ) -> RecordedCost? {
        let price = prices.entry(provider: provider, model: model) ?? resolvePrice(provider: provider, model: model)
        // Most events of a spool name models without a price. Such an event is counted here, as
        // the pricer would count it, without copying the entry's price into the call.
        guard price.hasPrice else {
            if tokens.isInvalid {
                summary.rejected += 1
            } else {
                summary.unpriced += 1
            }
            return nil
        }
        // Most costs fit in 128-bit integers, and FixedWidthRates computes their nano-dollars as the
        // Money path below does, without allocating.
        if usageState != .missing, !tokens.isInvalid, let rates = price.fixedWidthRates,
            let nanos = rates.totalNanos(of: tokens)
        {
            summary.priced += 1
            return RecordedCost(
                nanos: nanos, isEstimated: tokens.buckets.unclassified > 0, priceReference: price.reference,
                pricedAtNanoseconds: now)
        }
        let priced: EventCost?
        do {
            priced = try pricer.cost(tokens: tokens, price: price.price, provider: price.provider, model: price.model)
        } catch {
            summary.rejected += 1
            return nil
        }
        guard let priced else {
            summary.unpriced += 1
            return nil
        }
        guard usageState != .missing else {
            summary.usageMissing += 1
            return RecordedCost(
                nanos: nil, isEstimated: false, priceReference: priced.priceReference, pricedAtNanoseconds: now)
        }
        guard let nanos = priced.total.roundedToNanos() else {
            summary.rejected += 1
            return nil
        }
        summary.priced += 1
        return RecordedCost(
            nanos: nanos, isEstimated: priced.isEstimated, priceReference: priced.priceReference,
            pricedAtNanoseconds: now)
    }

    /// Resolves the ledger provider and model of an event's names, through the provider mapping,
    /// and their price, and keeps the result for the next event with the same names.
    private func resolvePrice(provider name: String, model modelName: String) -> PriceCache.Entry {
        let provider = mapping.provider(name)
        let model = mapping.model(modelName, provider: provider)
        let entry = PriceCache.Entry(
            eventProvider: name, eventModel: modelName, provider: provider, model: model,
            price: pricer.price(provider: provider, model: model))
        prices.insert(entry)
        return entry
    }

    /// Returns the highest event id up to which every event was tried with this pricing file, as
    /// the checkpoint records it. Returns 0 when it records another file or none.
    private func checkedEventID(store: Store) throws(StoreError) -> Int64 {
        guard let checkpoint = try store.foldValue(for: Self.checkpointName) else { return 0 }
        let parts = checkpoint.split(separator: " ")
        guard parts.count == 2, parts[0] == pricer.pricingHash, let checked = Int64(parts[1]) else { return 0 }
        return checked
    }

    /// Returns whether the fold's pass would find no unpriced event to try with this pricing file.
    func isEveryUnpricedEventTried(store: Store) throws(StoreError) -> Bool {
        try !store.containsUnpricedEvent(afterID: checkedEventID(store: store))
    }

    /// Records in the checkpoint that every stored event was tried with this pricing file. Call it
    /// only inside the transaction that stored the events, after ``isEveryUnpricedEventTried(store:)``
    /// returned `true` there and every event stored since was priced with this recorder.
    func recordEveryEventTried(store: Store) throws(StoreError) {
        try store.setFoldValue("\(pricer.pricingHash) \(try store.lastEventID())", for: Self.checkpointName)
    }

    /// Prices the unpriced events not yet tried with this pricing file, one transaction per batch,
    /// and calls `afterBatch` after each.
    func priceUnpriced(store: Store, now: Int64, afterBatch: () -> Void = {}) throws -> Summary {
        var afterID = try checkedEventID(store: store)
        // NOTE: this relies on new events getting ids above every stored one. SQLite reuses the
        // highest id after that row is deleted, and an event stored under a reused id is not priced
        // until the pricing file changes or `reprice` runs.
        var summary = Summary()
        while true {
            let batch = try store.pricingCandidates(afterID: afterID, limit: Self.batchSize, unpricedOnly: true)
            guard let last = batch.last else { break }
            try store.database.transaction { () throws(StoreError) in
                for candidate in batch {
                    summary.examined += 1
                    if let cost = cost(of: candidate, now: now, summary: &summary) {
                        try store.recordCost(cost, eventID: candidate.eventID)
                    }
                }
                try store.setFoldValue("\(pricer.pricingHash) \(last.eventID)", for: Self.checkpointName)
            }
            afterID = last.eventID
            afterBatch()
        }
        if summary.examined > 0 {
            logger.info(
                "priced new events",
                [
                    "pricing.examined": "\(summary.examined)", "pricing.priced": "\(summary.priced)",
                    "pricing.unpriced": "\(summary.unpriced)", "pricing.usage_missing": "\(summary.usageMissing)",
                    "pricing.sha256": pricer.pricingHash,
                ])
        }
        if summary.rejected > 0 {
            logger.warning(
                "events left unpriced because their token counts cannot be billed",
                ["pricing.rejected": "\(summary.rejected)"])
        }
        return summary
    }

    /// Recomputes the cost of every event that started at or after `since` (all when `nil`) with
    /// this pricing file, in one transaction, and returns the totals before and after.
    ///
    /// Ingestion waits for the transaction. Events that lose their price become unpriced.
    func reprice(store: Store, since: Int64?, now: Int64) throws -> (before: CostTotal, after: CostTotal, Summary) {
        var summary = Summary()
        let totals = try store.database.transaction { () throws(StoreError) -> (CostTotal, CostTotal) in
            let before = try store.costTotal(since: since)
            var afterID: Int64 = 0
            while true {
                let batch = try store.pricingCandidates(
                    afterID: afterID, limit: Self.batchSize, unpricedOnly: false, since: since)
                guard let last = batch.last else { break }
                for candidate in batch {
                    summary.examined += 1
                    let newCost = cost(of: candidate, now: now, summary: &summary)
                    // An event that stays unpriced has no change to record, so replication sends nothing.
                    if newCost != nil || candidate.cost != nil {
                        try store.recordCost(newCost, eventID: candidate.eventID)
                    }
                }
                afterID = last.eventID
            }
            if since == nil {
                try store.setFoldValue("\(pricer.pricingHash) \(afterID)", for: Self.checkpointName)
            }
            return (before, try store.costTotal(since: since))
        }
        return (totals.0, totals.1, summary)
    }
}

/// The prices a ``CostRecorder`` resolved, by provider and model as events name them. A class,
/// so that the copies of a recorder share one cache.
///
/// An open-addressing table keyed by an FNV-1a fingerprint of the two names' bytes. A lookup
/// reads each name's bytes once and compares the names of the entries it probes. `String`'s `==`
/// returns after one comparison for two copies of one string, as the decoder's interned names are.
/// A `Dictionary` keyed by the names spent about 330 instructions per lookup in SipHash alone.
private final class PriceCache {
    /// The maximum number of entries. The cache starts over when it is full, so that a spool
    /// naming ever new models cannot grow it without bound.
    static let maximumCount = 1024
    /// Twice ``maximumCount``, a power of two, so that probe runs stay short.
    private static let slotCount = 2048

    /// The ledger names of a pair and its price, which is `nil` when the pricing file has none.
    /// A class, so that a lookup returns one reference instead of copying every name.
    final class Entry {
        /// The provider as events name it.
        let eventProvider: String
        /// The model as events name it.
        let eventModel: String
        let provider: String
        let model: String
        let price: TokenledgerPricer.Price?
        /// Whether `price` is not `nil`, which a caller reads without copying the price.
        let hasPrice: Bool
        /// The price reference of `price`, or empty when `price` is `nil`.
        let reference: String
        /// The rates of `price` in fixed-width integers, when they fit.
        let fixedWidthRates: FixedWidthRates?

        init(
            eventProvider: String, eventModel: String, provider: String, model: String, price: TokenledgerPricer.Price?
        ) {
            self.eventProvider = eventProvider
            self.eventModel = eventModel
            self.provider = provider
            self.model = model
            self.price = price
            self.hasPrice = price != nil
            self.reference = price?.reference ?? ""
            self.fixedWidthRates = price.flatMap { FixedWidthRates($0) }
        }
    }

    /// Empty until the first insertion.
    private var slots: [Entry?] = []
    private var count = 0

    /// Returns the entry of the pair, or `nil` when none is kept.
    func entry(provider: String, model: String) -> Entry? {
        guard !slots.isEmpty else { return nil }
        var slot = Self.slot(provider: provider, model: model)
        while let entry = slots[slot] {
            if entry.eventProvider == provider && entry.eventModel == model {
                return entry
            }
            slot = (slot + 1) & (Self.slotCount - 1)
        }
        return nil
    }

    /// Keeps `entry`, whose pair has no entry yet. A full table is emptied first.
    func insert(_ entry: Entry) {
        if slots.isEmpty || count >= Self.maximumCount {
            slots = Array(repeating: nil, count: Self.slotCount)
            count = 0
        }
        var slot = Self.slot(provider: entry.eventProvider, model: entry.eventModel)
        while slots[slot] != nil {
            slot = (slot + 1) & (Self.slotCount - 1)
        }
        // The table is taken out, changed and stored back, so that every access to `slots` is a
        // plain read or assignment. An in-place change of the property would make the compiler
        // check exclusive access at run time on every lookup.
        var table = slots
        slots = []
        table[slot] = entry
        slots = table
        count += 1
    }

    /// Returns the first slot to probe for a pair: FNV-1a over the provider's bytes, a byte that UTF-8
    /// never contains, and the model's bytes.
    private static func slot(provider: String, model: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        hash = fingerprint(provider.utf8, into: hash)
        hash = (hash ^ 0xFF) &* 0x0000_0100_0000_01b3
        hash = fingerprint(model.utf8, into: hash)
        return Int(truncatingIfNeeded: hash ^ (hash >> 29)) & (slotCount - 1)
    }

    private static func fingerprint(_ bytes: String.UTF8View, into hash: UInt64) -> UInt64 {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            var hash = hash
            for byte in buffer {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            return hash
        }
        if let contiguous {
            return contiguous
        }
        var hash = hash
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
