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
/// A backup restored into the store while the daemon runs can take events, costs and the cost
/// change sequence back to before the last fold. Neither the highest event id nor the cost changes
/// show that. So each fold writes a new random mark into `fold_state` after its read, and the next
/// fold goes on from the sums only when the store still contains that mark. A backup taken before
/// that write contains an older mark. A backup taken after it contains every event and cost change
/// that the fold read.
///
/// With a runtime window, events leave the window as newer ones arrive, so the runtime metrics
/// are computed again on each fold from the events in the window, read through the index of
/// start times. Only the rollups, the census and the sessions are kept.
final class RetainedFold {
    /// The `fold_state` entry that contains the mark of the last fold that kept its sums.
    static let markName = "retained_fold_mark"

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
        /// The mark this fold wrote into `fold_state` under ``RetainedFold/markName``.
        var mark = ""

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
