/// Counts of stored events by usage state, usage quality and pricing state, and the time span
/// they cover.
public struct EventCensus: Sendable, Equatable {
    /// Events counted.
    public private(set) var total: Int64 = 0
    /// Events per ``UsageState`` raw value.
    public var byUsageState: [String: Int64] { Self.counts(usageStateCounts, UsageState.allCases) }
    /// Events per ``UsageQuality`` raw value.
    public var byQuality: [String: Int64] { Self.counts(qualityCounts, UsageQuality.allCases) }
    /// Events per ``PricingState`` raw value.
    public var byPricing: [String: Int64] { Self.counts(pricingCounts, PricingState.allCases) }
    /// The earliest start, in nanoseconds since the epoch; `nil` without events.
    public var firstInstant: Int64? { total > 0 ? earliest : nil }
    /// The latest start, in nanoseconds since the epoch; `nil` without events.
    public var lastInstant: Int64? { total > 0 ? latest : nil }

    /// Counts in the order of each enumeration's `allCases`, which `ordinal` follows.
    private var usageStateCounts = [Int64](repeating: 0, count: UsageState.allCases.count)
    private var qualityCounts = [Int64](repeating: 0, count: UsageQuality.allCases.count)
    private var pricingCounts = [Int64](repeating: 0, count: PricingState.allCases.count)
    private var earliest = Int64.max
    private var latest = Int64.min

    /// Creates an empty census.
    public init() {}

    /// Counts one event.
    public mutating func add(_ event: CanonicalEvent, pricing: PricingState) {
        add(
            usageState: event.usageState, quality: event.quality, pricing: pricing,
            instant: event.startedAtNanoseconds)
    }

    /// Counts one event from its states and its start, in nanoseconds since the epoch.
    public mutating func add(usageState: UsageState, quality: UsageQuality, pricing: PricingState, instant: Int64) {
        total += 1
        usageStateCounts[Self.ordinal(usageState)] += 1
        qualityCounts[Self.ordinal(quality)] += 1
        pricingCounts[Self.ordinal(pricing)] += 1
        earliest = min(earliest, instant)
        latest = max(latest, instant)
    }

    private static func ordinal(_ state: UsageState) -> Int {
        switch state {
        case .present: 0
        case .zero: 1
        case .missing: 2
        }
    }

    private static func ordinal(_ quality: UsageQuality) -> Int {
        switch quality {
        case .complete: 0
        case .inconsistent: 1
        case .unclassified: 2
        }
    }

    private static func ordinal(_ pricing: PricingState) -> Int {
        switch pricing {
        case .priced: 0
        case .unpriced: 1
        case .usageMissing: 2
        }
    }

    private static func counts<State: CaseIterable & RawRepresentable>(_ counts: [Int64], _ states: [State])
        -> [String: Int64] where State.RawValue == String
    {
        var result: [String: Int64] = [:]
        for (state, count) in zip(states, counts) where count > 0 {
            result[state.rawValue] = count
        }
        return result
    }
}

/// `manifest.json`: what an export was built from, for a reader checking that two exports are
/// comparable.
///
/// It holds no clock reading. The window is the span of the events' start times, and the runtime
/// window ends at the newest attempt's start, so the same store and pricing file give the same bytes.
public struct ExportManifest: Sendable {
    /// The manifest's file name.
    public static let fileName = "manifest.json"
    /// The version of this document's shape.
    public static let schemaVersion: Int64 = 1

    /// The store's schema version.
    public var storeSchemaVersion: Int64
    /// The SHA-256 of the pricing file's bytes; `nil` without a pricing file.
    public var pricingHash: String?
    /// The IANA time zone of the rollups.
    public var timeZone: String
    /// The event counts.
    public var census: EventCensus
    /// The SHA-256 of each other exported file, by name.
    public var fileHashes: [(name: String, sha256: String)]
    /// The span of events the runtime metrics cover.
    public var runtimeWindow: RuntimeWindow
    /// The end of the runtime window: the start of the newest attempt; `nil` for ``RuntimeWindow/all``.
    public var runtimeWindowEnd: Int64?

    /// Creates a manifest.
    public init(
        storeSchemaVersion: Int64, pricingHash: String?, timeZone: String, census: EventCensus,
        fileHashes: [(name: String, sha256: String)], runtimeWindow: RuntimeWindow = .all,
        runtimeWindowEnd: Int64? = nil
    ) {
        self.storeSchemaVersion = storeSchemaVersion
        self.pricingHash = pricingHash
        self.timeZone = timeZone
        self.census = census
        self.fileHashes = fileHashes
        self.runtimeWindow = runtimeWindow
        self.runtimeWindowEnd = runtimeWindowEnd
    }

    /// Renders the manifest as one line of JSON with a trailing newline. Every state of each count is
    /// listed, zero included, so readers need not guess a missing key.
    public func json() -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.integer("schema_version", Self.schemaVersion)
        writer.integer("store_schema_version", storeSchemaVersion)
        writer.string("pricing_sha256", pricingHash)
        writer.string("time_zone", timeZone)
        writer.beginObject("window")
        writer.string("first_event", census.firstInstant.map(Timestamp.formatRFC3339))
        writer.string("last_event", census.lastInstant.map(Timestamp.formatRFC3339))
        writer.endObject()
        writer.beginObject("runtime_window")
        writer.string("span", runtimeWindow.description)
        let start = runtimeWindow.exclusiveStart(end: runtimeWindowEnd)
        writer.string("starts_after", start.map(Timestamp.formatRFC3339))
        writer.string("ends_at", start == nil ? nil : runtimeWindowEnd.map(Timestamp.formatRFC3339))
        writer.endObject()
        writer.beginObject("events")
        writer.integer("total", census.total)
        Self.counts(&writer, "usage_state", UsageState.allCases.map(\.rawValue), census.byUsageState)
        Self.counts(&writer, "quality", UsageQuality.allCases.map(\.rawValue), census.byQuality)
        Self.counts(&writer, "pricing", PricingState.allCases.map(\.rawValue), census.byPricing)
        writer.endObject()
        writer.beginObject("files")
        for file in fileHashes.sorted(by: { $0.name < $1.name }) {
            writer.string(file.name, file.sha256)
        }
        writer.endObject()
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self) + "\n"
    }

    private static func counts(_ writer: inout JSONWriter, _ key: String, _ states: [String], _ values: [String: Int64])
    {
        writer.beginObject(key)
        for state in states {
            writer.integer(state, values[state] ?? 0)
        }
        writer.endObject()
    }
}
