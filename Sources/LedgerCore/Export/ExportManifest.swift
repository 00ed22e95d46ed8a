/// Counts of stored events by usage state, usage quality and pricing state, and the time span
/// they cover.
public struct EventCensus: Sendable, Equatable {
    /// Events counted.
    public private(set) var total: Int64 = 0
    /// Events per ``UsageState`` raw value.
    public private(set) var byUsageState: [String: Int64] = [:]
    /// Events per ``UsageQuality`` raw value.
    public private(set) var byQuality: [String: Int64] = [:]
    /// Events per ``PricingState`` raw value.
    public private(set) var byPricing: [String: Int64] = [:]
    /// The earliest start, in nanoseconds since the epoch; `nil` without events.
    public private(set) var firstInstant: Int64?
    /// The latest start, in nanoseconds since the epoch; `nil` without events.
    public private(set) var lastInstant: Int64?

    /// Creates an empty census.
    public init() {}

    /// Counts one event.
    public mutating func add(_ event: CanonicalEvent, pricing: PricingState) {
        total += 1
        byUsageState[event.usageState.rawValue, default: 0] += 1
        byQuality[event.quality.rawValue, default: 0] += 1
        byPricing[pricing.rawValue, default: 0] += 1
        firstInstant = min(firstInstant ?? event.startedAtNanoseconds, event.startedAtNanoseconds)
        lastInstant = max(lastInstant ?? event.startedAtNanoseconds, event.startedAtNanoseconds)
    }
}

/// `manifest.json`: what an export was built from, for a reader checking that two exports are
/// comparable.
///
/// It holds no clock reading. The window is the span of the events' start times, so the same store
/// and pricing file give the same bytes.
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

    /// Creates a manifest.
    public init(
        storeSchemaVersion: Int64, pricingHash: String?, timeZone: String, census: EventCensus,
        fileHashes: [(name: String, sha256: String)]
    ) {
        self.storeSchemaVersion = storeSchemaVersion
        self.pricingHash = pricingHash
        self.timeZone = timeZone
        self.census = census
        self.fileHashes = fileHashes
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
