/// genai-prices' provider and model price table, with its lookup rules.
///
/// Lookups follow genai-prices' Python package. A provider is found by id (lowercased, trimmed),
/// then as the first provider whose `provider_match` accepts the id. A model is the first entry
/// whose `match` accepts the lowercased model name, searched in the provider and then in each
/// `fallback_model_providers` entry, one level deep.
public struct GenAIPriceData: Sendable, Equatable {
    /// The providers in file order.
    public let providers: [GenAIProvider]
    /// The SHA-256 of the data file's bytes, lowercase hex; empty when built in memory.
    public let fileHash: String

    /// Creates a table from providers.
    public init(providers: [GenAIProvider], fileHash: String = "") {
        self.providers = providers
        self.fileHash = fileHash
    }

    /// Finds a provider by id or by its `provider_match` rule.
    public func provider(id: String) -> GenAIProvider? {
        let normalized = id.lowercased().trimmingWhitespace()
        if let exact = providers.first(where: { $0.id == normalized }) { return exact }
        return providers.first { $0.providerMatch?.matches(normalized) ?? false }
    }

    /// Finds the first provider whose `model_match` accepts a model name, for events without a
    /// known provider.
    public func provider(forModel model: String) -> GenAIProvider? {
        let normalized = model.lowercased()
        return providers.first { $0.modelMatch?.matches(normalized) ?? false }
    }

    /// Finds a model of `provider`, then of its fallback providers; returns the model and the id of
    /// the provider that lists it.
    public func model(named name: String, provider: GenAIProvider) -> (model: GenAIModel, ownerID: String)? {
        let normalized = name.lowercased()
        if let model = provider.models.first(where: { $0.match.matches(normalized) }) {
            return (model, provider.id)
        }
        for fallbackID in provider.fallbackModelProviders {
            guard let fallback = providers.first(where: { $0.id == fallbackID }) else { continue }
            if let model = fallback.models.first(where: { $0.match.matches(normalized) }) {
                return (model, fallback.id)
            }
        }
        return nil
    }
}

extension String {
    /// Returns the string without leading and trailing spaces, tabs and line breaks.
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
