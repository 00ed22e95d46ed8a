import LedgerCore
import LedgerStore

/// Writes `metrics.prom` in the state directory, in the Prometheus text format, for
/// node_exporter's textfile collector.
///
/// The file is replaced atomically and only when its content changes; the run loop writes it
/// after passes that committed something and after folds, so an idle daemon writes nothing.
final class MetricsFile {
    /// The file name inside the state directory.
    static let name = "metrics.prom"

    /// Commit durations of batches since the daemon started.
    var commitLatency = LatencyHistogram()
    /// How long the last fold took, in seconds.
    var lastFoldSeconds: Double?
    /// When the last fold finished, in seconds since the epoch.
    var lastFoldTimestamp: Double?

    /// Renders the metrics from the store's current counts.
    func render(store: Store) throws -> String {
        let report = try StatusReport.make(store: store)
        var lines: [String] = []
        lines.append("# HELP tokenledgerd_events Stored events by source, status and usage state.")
        lines.append("# TYPE tokenledgerd_events gauge")
        for count in report.eventCounts {
            lines.append(
                "tokenledgerd_events{source=\"\(Self.escaped(count.shape))\",status=\"\(Self.escaped(count.status))\","
                    + "usage_state=\"\(Self.escaped(count.usageState))\"} \(count.count)")
        }
        lines.append("# HELP tokenledgerd_quarantined_lines Quarantined lines and spans by reason.")
        lines.append("# TYPE tokenledgerd_quarantined_lines gauge")
        for count in report.quarantineCounts {
            lines.append("tokenledgerd_quarantined_lines{reason=\"\(Self.escaped(count.reason))\"} \(count.count)")
        }
        lines.append("# HELP tokenledgerd_file_bytes_behind Bytes after the committed offset of each spool file.")
        lines.append("# TYPE tokenledgerd_file_bytes_behind gauge")
        for file in report.files where file.record.state != .vanished {
            if let behind = file.bytesBehind {
                lines.append("tokenledgerd_file_bytes_behind{path=\"\(Self.escaped(file.record.path))\"} \(behind)")
            }
        }
        if !report.replicationLags.isEmpty {
            let now = WallClock.now()
            lines.append("# HELP tokenledgerd_replication_events_behind Stored events not yet in the central ledger.")
            lines.append("# TYPE tokenledgerd_replication_events_behind gauge")
            for lag in report.replicationLags {
                lines.append(
                    "tokenledgerd_replication_events_behind{target=\"\(Self.escaped(lag.targetID))\"} \(lag.eventsBehind)"
                )
            }
            lines.append(
                "# HELP tokenledgerd_replication_cost_changes_behind Recorded costs not yet sent to the central ledger."
            )
            lines.append("# TYPE tokenledgerd_replication_cost_changes_behind gauge")
            for lag in report.replicationLags {
                lines.append(
                    "tokenledgerd_replication_cost_changes_behind{target=\"\(Self.escaped(lag.targetID))\"} "
                        + "\(lag.costChangesBehind)")
            }
            lines.append(
                "# HELP tokenledgerd_replication_seconds_behind Seconds since replication last advanced while events "
                    + "or cost changes wait; 0 when caught up.")
            lines.append("# TYPE tokenledgerd_replication_seconds_behind gauge")
            for lag in report.replicationLags {
                lines.append(
                    "tokenledgerd_replication_seconds_behind{target=\"\(Self.escaped(lag.targetID))\"} "
                        + "\(StatusReport.secondsBehind(lag, now: now))")
            }
        }
        lines.append("# HELP tokenledgerd_commit_duration_seconds Duration of each batch commit.")
        lines.append("# TYPE tokenledgerd_commit_duration_seconds histogram")
        lines += commitLatency.lines(name: "tokenledgerd_commit_duration_seconds")
        if let lastFoldSeconds, let lastFoldTimestamp {
            lines.append("# HELP tokenledgerd_fold_duration_seconds Duration of the last fold.")
            lines.append("# TYPE tokenledgerd_fold_duration_seconds gauge")
            lines.append("tokenledgerd_fold_duration_seconds \(lastFoldSeconds)")
            lines.append("# HELP tokenledgerd_last_fold_timestamp_seconds When the last fold finished.")
            lines.append("# TYPE tokenledgerd_last_fold_timestamp_seconds gauge")
            lines.append("tokenledgerd_last_fold_timestamp_seconds \(lastFoldTimestamp)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the metrics into `directory` when they changed.
    func write(store: Store, directory: String) throws {
        try AtomicFile.writeIfChanged(try render(store: store), to: FilePath.join(directory, Self.name))
    }

    /// Escapes a label value: backslash, double quote and newline.
    static func escaped(_ value: String) -> String {
        var text = ""
        for character in value {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.append(character)
            }
        }
        return text
    }
}
