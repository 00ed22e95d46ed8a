/// The fields that the usage-queue record and the accounting event of one CLIProxyAPI attempt
/// share, which let an attempt shipped through both channels count once.
///
/// Neither shape carries the other's id: a usage-queue record has a line hash and a shared
/// `request_id`, an accounting event has `execution_id` and `trace_id`. What they share is the
/// attempt's start instant, provider, served model and client key, which both shapes hash the
/// same way (see ``SecretHasher``). Two events of different shapes are twins when all four are
/// equal and the client key id is present: one client does not start two attempts on the same
/// provider and model in the same nanosecond.
public struct AttemptTwin: Sendable, Hashable {
    /// The shape of the event this value was made from.
    public var shape: SourceShape
    /// The attempt's start, in nanoseconds since the epoch.
    public var startedAtNanoseconds: Int64
    /// The provider as the source names it.
    public var provider: String
    /// The model that served the attempt.
    public var model: String
    /// `sha256("client\0" + key)` in hex.
    public var clientKeyID: String

    /// The twin description of `event`; `nil` for shapes other than usage-queue records and
    /// accounting events, and for events without a client key id.
    public init?(_ event: CanonicalEvent) {
        guard event.shape == .usageQueue || event.shape == .accountingEvent, let clientKeyID = event.clientKeyID
        else { return nil }
        self.shape = event.shape
        self.startedAtNanoseconds = event.startedAtNanoseconds
        self.provider = event.provider
        self.model = event.model
        self.clientKeyID = clientKeyID
    }

    /// Hashes the shape and the start instant only. Equal values still have equal hashes, and
    /// two attempts rarely share a nanosecond, so the strings need not be hashed.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(shape)
        hasher.combine(startedAtNanoseconds)
    }

    /// The shape whose events can be this event's twin.
    public var twinShape: SourceShape {
        shape == .usageQueue ? .accountingEvent : .usageQueue
    }

    /// This value with the shape of its twin, for looking the twin up in a set.
    public var twin: AttemptTwin {
        var twin = self
        twin.shape = twinShape
        return twin
    }
}
