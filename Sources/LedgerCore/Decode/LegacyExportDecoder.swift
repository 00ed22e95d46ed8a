/// Decodes the legacy CLIProxyAPI statistics export (`GET /v0/management/usage/export`, v6.9 and
/// older): one JSON document whose `usage.apis.<group>.models.<model>.details[]` are attempts.
///
/// A group key is either a CLIProxyAPI provider id or a client's raw API key. A provider id
/// chooses the token rules of ``UpstreamClass``. Any other group key is a secret: it is stored
/// only as ``CanonicalEvent/clientKeyID`` and never shown in an error. A detail carries no provider of its
/// own, so under a key group the rules of `defaultProvider` apply, and without one the whole
/// total is `unclassified`.
///
/// Each event is keyed by `sha256(group id + "\0" + model + "\0" + the detail as compact JSON)`,
/// so importing the same export twice adds nothing.
public enum LegacyExportDecoder {
    /// Whether `object` looks like a statistics export: `usage.apis` is an object.
    public static func matches(_ object: JSONObject) -> Bool {
        object["usage"]?["apis"]?.objectValue != nil && object["timestamp"] == nil
    }

    /// Decodes every detail of the export; a malformed detail becomes a reject and does not stop
    /// the others.
    /// - Parameters:
    ///   - defaultProvider: the provider id whose token rules apply under a group that is a client
    ///     key; `nil` keeps such usage `unclassified`.
    ///   - now: the current instant in nanoseconds, for the timestamp range check.
    public static func decode(_ object: JSONObject, defaultProvider: String? = nil, now: Int64) -> LineOutcome {
        var outcome = LineOutcome()
        if let version = object["version"], version.int64Value != 1 {
            outcome.rejects.append(DecodeError(.invalidField, "version is not 1"))
            return outcome
        }
        guard let groups = object["usage"]?["apis"]?.objectValue else {
            outcome.rejects.append(DecodeError(.missingField, "usage.apis is missing"))
            return outcome
        }
        for (groupIndex, group) in groups.members.enumerated() {
            let isProvider = UpstreamClass(provider: group.key, executorType: nil) != .unknown
            let clientKeyID = isProvider || group.key.isEmpty ? nil : SecretHasher.clientKeyID(group.key)
            let provider = isProvider ? group.key : (defaultProvider ?? "unknown")
            let groupID = clientKeyID ?? group.key
            let location = "usage.apis[\(groupIndex)]"
            guard let models = group.value["models"]?.objectValue else {
                outcome.rejects.append(DecodeError(.invalidField, "\(location).models is not an object"))
                continue
            }
            for (modelIndex, model) in models.members.enumerated() {
                let details = model.value["details"]?.arrayValue ?? []
                for (detailIndex, detail) in details.enumerated() {
                    let detailLocation = "\(location).models[\(modelIndex)].details[\(detailIndex)]"
                    do {
                        var event = try decodeDetail(
                            detail, location: detailLocation, provider: provider, model: model.key, now: now)
                        event.key = EventKey(
                            namespace: SourceShape.legacyExport.rawValue,
                            bytes: Array(groupID.utf8) + [0] + Array(model.key.utf8) + [0] + detail.compactBytes)
                        event.clientKeyID = clientKeyID
                        outcome.events.append(event)
                    } catch {
                        outcome.rejects.append(error)
                    }
                }
            }
        }
        return outcome
    }

    private static func decodeDetail(
        _ detail: JSONValue, location: String, provider: String, model: String, now: Int64
    ) throws(DecodeError) -> CanonicalEvent {
        guard let object = detail.objectValue else {
            throw DecodeError(.invalidField, "\(location) is not an object")
        }
        let record = FieldReader(object, path: "\(location).")
        let startedAt = try TimestampField.read(object["timestamp"], name: "\(location).timestamp", now: now)
        let failed = try record.bool("failed") ?? false
        let tokens = try record.object("tokens")
        let counts = RawTokenCounts(
            input: try tokens?.tokenCount("input_tokens") ?? 0,
            output: try tokens?.tokenCount("output_tokens") ?? 0,
            reasoning: try tokens?.tokenCount("reasoning_tokens") ?? 0,
            cached: try tokens?.tokenCount("cached_tokens") ?? 0,
            cacheRead: try tokens?.tokenCount("cache_read_tokens"),
            cacheCreation: try tokens?.tokenCount("cache_creation_tokens"),
            total: try tokens?.tokenCount("total_tokens") ?? 0)

        var buckets = TokenBuckets.zero
        var state = UsageState.missing
        var quality = UsageQuality.complete
        // As in the usage queue, all-zero counters mean the proxy saw no usage.
        if !counts.isAllZero {
            (buckets, quality) = UpstreamClass(provider: provider, executorType: nil).buckets(from: counts)
            state = .present
        }

        var event = CanonicalEvent(
            key: EventKey(high: 0, low: 0), shape: .legacyExport, provider: provider,
            model: model.isEmpty ? "unknown" : model, startedAtNanoseconds: startedAt,
            status: failed ? .failed : .succeeded, buckets: buckets, usageState: state, quality: quality)
        // The export has no status code; a success is known to be a 200.
        event.statusCode = failed ? nil : 200
        event.latencyMilliseconds = try record.milliseconds("latency_ms")
        event.authIndex = try record.string("auth_index").flatMap { $0.isEmpty ? nil : $0 }
        if let source = try record.string("source"), !source.isEmpty {
            event.accountID = SecretHasher.accountID(source)
        }
        return event
    }
}
