import LedgerCore

// The raw values of the enumerations that the events table stores as text, as static strings that
// `Statement.bindStaticText(_:at:)` binds without a copy. Each one equals the case's `rawValue`,
// which a test checks for every case.

extension SourceShape {
    /// The `rawValue`, as a static string.
    var storedText: StaticString {
        switch self {
        case .usageQueue: return "cliproxyapi.usage_queue"
        case .otlpSpan: return "otlp.span"
        case .accountingEvent: return "cliproxyapi.accounting"
        case .normalizedEvent: return "tokenledger.event"
        case .legacyExport: return "cliproxyapi.legacy_export"
        case .gapMarker: return "tokenledgerd.gap"
        }
    }
}

extension EventStatus {
    /// The `rawValue`, as a static string.
    var storedText: StaticString {
        switch self {
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .interrupted: return "interrupted"
        }
    }
}

extension UsageState {
    /// The `rawValue`, as a static string.
    var storedText: StaticString {
        switch self {
        case .present: return "present"
        case .zero: return "zero"
        case .missing: return "missing"
        }
    }
}

extension UsageQuality {
    /// The `rawValue`, as a static string.
    var storedText: StaticString {
        switch self {
        case .complete: return "complete"
        case .inconsistent: return "inconsistent"
        case .unclassified: return "unclassified"
        }
    }
}
