// A libFuzzer entry point compiled together with the LedgerCore sources into one module, so the
// decoders are called directly. scripts/fuzz.sh builds and runs it.

/// A fixed "now" (2026-12-04T00:00:00Z) so that every run checks timestamps against the same range.
private let fuzzNow: Int64 = 1_796_342_400_000_000_000

/// Checks the invariants every decoded event must keep, and stops the run when one is broken.
private func checkInvariants(_ outcome: LineOutcome) {
    for event in outcome.events {
        let buckets = event.buckets
        precondition(!buckets.hasNegative, "negative bucket in \(buckets)")
        precondition(buckets.reasoning <= buckets.output, "reasoning above output in \(buckets)")
        precondition(
            buckets.total == buckets.inputUncached + buckets.cacheRead + buckets.cacheWrite + buckets.output
                + buckets.unclassified, "total differs from the sum of the buckets in \(buckets)")
        precondition(event.toolInputTokens <= buckets.inputUncached, "tool input above input_uncached")
        precondition(event.toolOutputTokens <= buckets.output, "tool output above output")
        precondition(event.usageState != .missing || buckets.isZero, "missing usage with counts in \(buckets)")
        if let id = event.clientKeyID {
            precondition(id.utf8.count == 64, "client_key_id is not 64 hex digits")
        }
        if let id = event.accountID {
            precondition(id.utf8.count == 64, "account_id is not 64 hex digits")
        }
    }
    for reject in outcome.rejects {
        precondition(!reject.detail.isEmpty, "reject without detail")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoders(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : count)

    // The member scanner accepts exactly the texts whose parse is an object, and a line that the
    // scanned usage-queue path decodes gives the same event through the tree.
    let parsed = try? JSONParser.parse(buffer: input)
    var scanner = JSONMemberScanner()
    precondition(scanner.scan(input) == (parsed?.objectValue != nil), "scanner and parser disagree")
    let trimmed = LineDecoder.trimmed(input)
    if let event = UsageQueueDecoder.decodeScanned(trimmed, now: fuzzNow, cache: DecodeCache()) {
        let value = try? JSONParser.parse(buffer: trimmed)
        let tree = value.map { LineDecoder.decode($0, keyBytes: trimmed, now: fuzzNow) }
        precondition(tree?.events == [event], "scanned event differs from the tree's")
    }

    // The parser, and compact re-serialization: parsing the compact bytes must give the same value.
    if let value = parsed {
        let compact = value.compactBytes
        guard let reparsed = try? JSONParser.parse(compact) else {
            preconditionFailure("compact form of a parsed value does not parse")
        }
        precondition(reparsed == value, "compact form parses to another value")
    }

    // Every shape through the line path, then the whole-document path.
    checkInvariants(LineDecoder(maximumLineLength: 1 << 20).decode(input, now: fuzzNow))
    if case .decoded(let outcome) = DocumentDecoder.decode(input, now: fuzzNow) {
        checkInvariants(outcome)
    }

    // Samples of rejected lines must stay within their length limit.
    let sample = Redactor.sample(input)
    precondition(sample.count <= 240, "sample longer than 240 characters")
    return 0
}
