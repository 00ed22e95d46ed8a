/// The cost the store recorded for one event when it was priced.
///
/// An event without a recorded cost has not been priced yet, or had no price in the pricing file
/// in force: it is unpriced, never free.
public struct RecordedCost: Sendable, Equatable {
    /// The cost in nano-dollars; `nil` when the event reported no usage, so there is a price but
    /// nothing to bill.
    public var nanos: Int64?
    /// Whether part of the cost is an estimate (unclassified tokens billed at the input rate).
    public var isEstimated: Bool
    /// The price entry and pricing-file hash that produced the cost: see ``PriceReference``.
    public var priceReference: String
    /// When the event was priced, in nanoseconds since the epoch.
    public var pricedAtNanoseconds: Int64

    /// Creates a recorded cost.
    public init(nanos: Int64?, isEstimated: Bool, priceReference: String, pricedAtNanoseconds: Int64) {
        self.nanos = nanos
        self.isEstimated = isEstimated
        self.priceReference = priceReference
        self.pricedAtNanoseconds = pricedAtNanoseconds
    }

    /// The cost in USD; `nil` when the event reported no usage.
    public var money: Money? { nanos.map { Money(nanos: $0) } }
}

/// Whether an event has a cost, and why not when it has none.
public enum PricingState: String, Sendable, CaseIterable {
    /// The event has a cost.
    case priced
    /// The pricing file has no price for the event's provider and model.
    case unpriced
    /// The event has a price but reported no usage, so its cost is unknown.
    case usageMissing = "usage_missing"

    /// Classifies an event by the cost recorded for it (`nil` when none is).
    public init(_ cost: RecordedCost?) {
        guard let cost else {
            self = .unpriced
            return
        }
        self = cost.nanos == nil ? .usageMissing : .priced
    }
}
