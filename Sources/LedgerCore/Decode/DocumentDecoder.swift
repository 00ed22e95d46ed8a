/// Decodes a whole-document spool file (`.json`): one JSON text, possibly pretty-printed over
/// many lines.
///
/// The document is an object of any accepted shape (an OTLP trace export, a legacy statistics
/// export, one record) or an array of such objects, as `GET /v0/management/usage-queue` returns
/// usage-queue records. A record without an id of its own is keyed by its
/// ``JSONValue/compactBytes``, so the same array written again, re-indented or with other
/// whitespace, yields the same keys.
public enum DocumentDecoder {
    /// The result of decoding a document.
    public enum Outcome: Sendable {
        /// The bytes end before the JSON text does: the writer has not finished the file.
        case incomplete
        /// The document was complete; its events and rejected parts.
        case decoded(LineOutcome)
    }

    /// Decodes `document`, the file's whole content.
    /// - Parameter now: the current instant in nanoseconds since the epoch, for range checks.
    public static func decode(_ document: UnsafeBufferPointer<UInt8>, now: Int64) -> Outcome {
        let content = LineDecoder.trimmed(document)
        if content.isEmpty {
            return .incomplete
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(buffer: content)
        } catch {
            if error.code == .unexpectedEnd {
                return .incomplete
            }
            return .decoded(LineOutcome(rejects: [DecodeError(.invalidJSON, error.description)]))
        }
        guard let elements = value.arrayValue else {
            return .decoded(LineDecoder.decode(value, keyBytes: value.compactBytes, now: now))
        }
        var outcome = LineOutcome()
        for (index, element) in elements.enumerated() {
            let part = LineDecoder.decode(element, keyBytes: element.compactBytes, now: now)
            outcome.events += part.events
            outcome.aggregatingSpansSkipped += part.aggregatingSpansSkipped
            for reject in part.rejects {
                outcome.rejects.append(DecodeError(reject.code, "[\(index)] \(reject.detail)"))
            }
        }
        return .decoded(outcome)
    }

    /// Decodes a document held in an array.
    public static func decode(_ document: [UInt8], now: Int64) -> Outcome {
        document.withUnsafeBufferPointer { decode($0, now: now) }
    }
}
