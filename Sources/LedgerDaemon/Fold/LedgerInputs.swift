import LedgerCore

/// The pricing file and benchmark table, either of which may be absent.
struct LedgerInputs {
    /// The pricer of the pricing file, with the hash of its bytes.
    var pricer: TokenledgerPricer?
    var models: BenchmarkTable?

    /// The pricing file.
    var pricing: PricingFile? { pricer?.pricing }

    /// Rejects a pricing file or benchmark table that was named explicitly (by flag, environment
    /// or configuration file) but does not exist, or that does not load.
    /// - Throws: ``UsageError`` naming the path and the problem.
    static func checkExplicitPaths(settings: Settings) throws {
        for (key, path, what) in [
            (ConfigKey.pricing, settings.pricingPath, "pricing file"),
            (ConfigKey.models, settings.modelsPath, "model benchmark table"),
        ] {
            let origin = settings.origins[key] ?? .builtIn
            guard origin != .builtIn else { continue }
            guard let bytes = readFile(path) else {
                throw UsageError("\(what) '\(path)' (from \(origin)) does not exist or cannot be read")
            }
            do {
                if key == .pricing {
                    _ = try PricingFile(json: bytes)
                } else {
                    _ = try BenchmarkTable(csv: bytes)
                }
            } catch {
                throw UsageError("\(what) '\(path)' is invalid: \(error)")
            }
        }
    }

    static func load(settings: Settings, logger: Logger) throws -> LedgerInputs {
        var inputs = LedgerInputs()
        if let bytes = readFile(settings.pricingPath) {
            inputs.pricer = try TokenledgerPricer(pricingFileBytes: bytes)
        } else {
            logger.warning(
                "pricing file not found; writing runtime metrics only",
                ["pricing.file": settings.pricingPath])
        }
        if let bytes = readFile(settings.modelsPath) {
            inputs.models = try BenchmarkTable(csv: bytes)
        } else {
            logger.warning(
                "model benchmark table not found; writing runtime metrics only",
                ["models.file": settings.modelsPath])
        }
        return inputs
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = try? FileDescriptor(path: path, flags: 0), let info = try? file.status() else { return nil }
        return try? file.readBytes(count: Int(info.st_size), at: 0)
    }
}
