import LedgerCore
import LedgerStore

/// The sums of a daemon's last fold, which its next fold adds the newly stored events to instead
/// of reading every event again.
///
/// Every sum of a fold is order-independent: counts, token and cost sums, latency counts per
/// millisecond, the earliest and latest instants, and the distinct request and session ids, which
/// ``DistinctKeyCounter`` keeps. So the sums of the events up to one event id, plus the events
/// stored after it, equal the sums of a fold from scratch. That holds only while stored events
/// stay as they were folded. Events are never deleted, and new ones get ids above every stored
/// one. A recorded cost may change, though: after `reprice`, or when the pricing file gains the
/// price of events left unpriced. The next fold then finds a cost change of an event it had
/// folded, and folds every event again. So does a fold with another pricing file (its aliases
/// rename pairs), time zone, runtime window or store.
///
/// With a runtime window, events leave the window as newer ones arrive, so the runtime metrics
/// are computed again on each fold from the events in the window, read through the index of
/// start times. Only the rollups, the census and the sessions are kept.
final class RetainedFold {
    /// The inputs that the sums depend on besides the events.
    struct Key: Equatable {
        var store: ObjectIdentifier
        var pricingHash: String?
        var timeZone: String
        var runtimeWindow: RuntimeWindow
        var memoryLimit: Int
    }

    /// The start of a fold: from no sums or from the previous ones.
    enum Mode: String {
        /// From no sums: every stored event was read.
        case full
        /// From the previous fold's sums: only the events stored since were read.
        case incremental
    }

    struct State {
        var key: Key
        var fold: EventFold
        /// The pair numbers of the rows read so far, which `fold` keeps its accumulators by.
        var pairs = FoldRowPairs()
        /// The newest event and cost change already in `fold`.
        var head = FoldHead(lastEventID: 0, lastCostChange: 0)

        init(key: Key, fold: EventFold) {
            self.key = key
            self.fold = fold
        }
    }

    /// The sums of the last fold that succeeded; `nil` before the first one and after a failure.
    var state: State?
    /// The start of the last fold.
    var lastMode = Mode.full
    /// The events the last fold read.
    var lastNewEvents = 0
}
