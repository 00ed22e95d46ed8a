/// Why a line, or a span inside it, became a quarantine row instead of an event.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable reason code, stored in the quarantine table and shown by `status`.
    public enum Code: String, Sendable, CaseIterable {
        /// The line is not a JSON text.
        case invalidJSON = "invalid_json"
        /// The line is JSON but matches no accepted shape.
        case unknownShape = "unknown_shape"
        /// A field the shape requires is absent.
        case missingField = "missing_field"
        /// A field has the wrong type or an impossible value.
        case invalidField = "invalid_field"
        /// The timestamp lies before 2015-01-01 or more than a day after ingestion.
        case timestampOutOfRange = "timestamp_out_of_range"
        /// The line is longer than the configured maximum.
        case lineTooLong = "line_too_long"
    }

    /// The reason.
    public var code: Code
    /// What was wrong, naming the field; never a field's value, which may be secret.
    public var detail: String

    /// Creates an error with a reason and a detail that names the field.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}

/// What decoding one line produced: events, and rejected parts with their reasons.
///
/// A line can produce both: an OTLP line with one malformed span still yields its other spans.
public struct LineOutcome: Sendable {
    /// The events decoded from the line.
    public var events: [CanonicalEvent]
    /// The parts of the line that were rejected.
    public var rejects: [DecodeError]
    /// OTLP agent spans left out because child spans in the same line carry the same usage.
    public var aggregatingSpansSkipped = 0

    /// Creates an outcome.
    public init(events: [CanonicalEvent] = [], rejects: [DecodeError] = []) {
        self.events = events
        self.rejects = rejects
    }
}
