import LedgerCore
import LedgerStore

/// `tokenledgerd reprice`: recomputes stored costs with the current pricing file.
///
/// Folds price each event once and keep that cost when the pricing file changes, so totals stay
/// reproducible. Repricing replaces the costs on purpose, in one transaction, and logs the totals
/// before and after at notice level so the change is on record.
enum RepriceCommand {
    static func run(_ options: ParsedOptions, environment: [String: String]) throws -> Int32 {
        var since: Int64?
        if let text = options.value("since") {
            guard let instant = Timestamp.parseRFC3339(text), instant != .min, instant != .max else {
                throw UsageError(
                    "reprice: option '--since' has invalid value '\(text)'; give an RFC 3339 instant such as "
                        + "2026-03-01T00:00:00Z")
            }
            since = instant
        }
        let context = try CommandContext(options, environment: environment)
        let store = try context.openStore()
        let inputs = try LedgerInputs.load(settings: context.settings, logger: context.logger)
        guard let pricer = inputs.pricer else {
            throw UsageError(
                "reprice: pricing file '\(context.settings.pricingPath)' not found; name it with --pricing")
        }
        let recorder = CostRecorder(pricer: pricer, logger: context.logger)
        let (before, after, summary) = try recorder.reprice(store: store, since: since, now: WallClock.now())
        context.logger.notice(
            "repriced events",
            [
                "reprice.since": since.map(Timestamp.formatRFC3339) ?? "all",
                "reprice.events": "\(summary.examined)",
                "reprice.old_total_usd": Money(nanos: before.nanos).description,
                "reprice.new_total_usd": Money(nanos: after.nanos).description,
                "reprice.old_priced": "\(before.pricedEvents)", "reprice.new_priced": "\(after.pricedEvents)",
                "reprice.unpriced": "\(summary.unpriced)", "reprice.usage_missing": "\(summary.usageMissing)",
                "pricing.sha256": pricer.pricingHash,
            ])
        print(
            "repriced \(summary.examined) events: total \(Money(nanos: before.nanos)) USD -> "
                + "\(Money(nanos: after.nanos)) USD, priced \(before.pricedEvents) -> \(after.pricedEvents)")
        return 0
    }
}
