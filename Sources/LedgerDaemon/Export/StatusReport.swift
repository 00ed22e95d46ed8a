import Glibc
import LedgerCore
import LedgerStore

/// What `status` reports: tracked files, event counts and quarantine counts.
struct StatusReport {
    struct TrackedFile {
        var record: FileRecord
        /// Bytes after the committed offset, measured now; `nil` when the file is gone.
        var bytesBehind: Int64?
    }

    var schemaVersion: Int
    var files: [TrackedFile]
    var eventTotal: Int64
    var eventCounts: [EventCount]
    var quarantineCounts: [QuarantineCount]
    var lastFoldNanoseconds: Int64?
    /// How far each replication target is behind, in target order.
    var replicationLags: [ReplicationLag] = []

    static func make(store: Store) throws -> StatusReport {
        let files = try store.files().map { record in
            var info = stat()
            var behind: Int64?
            if record.state != .vanished, stat(record.path, &info) == 0, UInt64(info.st_ino) == record.inode {
                behind = max(0, Int64(info.st_size) - record.committedOffset)
            }
            return TrackedFile(record: record, bytesBehind: behind)
        }
        return StatusReport(
            schemaVersion: Store.schemaVersion, files: files, eventTotal: try store.eventTotal(),
            eventCounts: try store.eventCounts(), quarantineCounts: try store.quarantineCounts(),
            lastFoldNanoseconds: try store.foldValue(for: "last_fold_ns").flatMap { Int64($0) },
            replicationLags: try store.replicationLags())
    }

    /// Seconds since a watermark of `lag` last advanced while events or cost changes wait, 0 when
    /// none wait.
    static func secondsBehind(_ lag: ReplicationLag, now: Int64) -> Double {
        guard lag.eventsBehind > 0 || lag.costChangesBehind > 0 else { return 0 }
        return Double(max(0, now - lag.updatedNanoseconds) / 1_000_000) / 1000
    }

    /// Human-readable text.
    func text() -> String {
        var text = "files tracked: \(files.filter { $0.record.state != .vanished }.count)\n"
        for file in files {
            let behind = file.bytesBehind.map { "\($0) bytes behind" } ?? "not present"
            text +=
                "  \(file.record.path)  offset \(file.record.committedOffset)  \(file.record.state.rawValue)  \(behind)\n"
        }
        text += "events: \(eventTotal)\n"
        for count in eventCounts {
            text += "  \(count.shape)  \(count.status)  usage \(count.usageState)  \(count.count)\n"
        }
        let quarantined = quarantineCounts.reduce(0) { $0 + $1.count }
        text += "quarantined: \(quarantined)\n"
        for count in quarantineCounts {
            text += "  \(count.reason)  \(count.count)\n"
        }
        text += "last fold: " + (lastFoldNanoseconds.map(Timestamp.formatRFC3339) ?? "never") + "\n"
        let now = WallClock.now()
        for lag in replicationLags {
            text +=
                "replication \(lag.targetID): \(lag.eventsBehind) events behind, "
                + "\(lag.costChangesBehind) cost changes behind, \(Self.secondsBehind(lag, now: now)) seconds behind, "
                + "last event id \(lag.lastEventID)\n"
        }
        return text
    }

    /// A JSON document with the same content.
    func json() -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.integer("schema_version", Int64(schemaVersion))
        var fileItems: [String] = []
        for file in files {
            var item = JSONWriter()
            item.beginObject()
            item.string("path", file.record.path)
            item.string("state", file.record.state.rawValue)
            item.integer("committed_offset", file.record.committedOffset)
            item.integer("bytes_behind", file.bytesBehind)
            item.endObject()
            fileItems.append(String(decoding: item.bytes, as: UTF8.self))
        }
        writer.raw("files", "[" + fileItems.joined(separator: ",") + "]")
        writer.integer("events_total", eventTotal)
        var countItems: [String] = []
        for count in eventCounts {
            var item = JSONWriter()
            item.beginObject()
            item.string("source", count.shape)
            item.string("status", count.status)
            item.string("usage_state", count.usageState)
            item.integer("count", count.count)
            item.endObject()
            countItems.append(String(decoding: item.bytes, as: UTF8.self))
        }
        writer.raw("events", "[" + countItems.joined(separator: ",") + "]")
        writer.beginObject("quarantine")
        for count in quarantineCounts {
            writer.integer(count.reason, count.count)
        }
        writer.endObject()
        writer.string("last_fold", lastFoldNanoseconds.map(Timestamp.formatRFC3339))
        let now = WallClock.now()
        var lagItems: [String] = []
        for lag in replicationLags {
            var item = JSONWriter()
            item.beginObject()
            item.string("target", lag.targetID)
            item.integer("last_event_id", lag.lastEventID)
            item.integer("events_behind", lag.eventsBehind)
            item.integer("last_cost_change", lag.lastCostChangeSequence)
            item.integer("cost_changes_behind", lag.costChangesBehind)
            item.integer("milliseconds_behind", Int64(Self.secondsBehind(lag, now: now) * 1000))
            item.endObject()
            lagItems.append(String(decoding: item.bytes, as: UTF8.self))
        }
        writer.raw("replication", "[" + lagItems.joined(separator: ",") + "]")
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
