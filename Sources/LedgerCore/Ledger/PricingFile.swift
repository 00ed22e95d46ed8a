/// A pricing file in tokenledger's shape: provider aliases, then providers with a subscription fee,
/// model aliases and per-model rates in USD per million tokens.
///
/// Every alias target exists: a provider alias names a provider of the file, and a model alias
/// names a model of its own provider. Names compare as exact Unicode scalar sequences, so `é` and
/// `e` followed by U+0301 are different names, as they are in tokenledger.
public struct PricingFile: Sendable, Equatable {
    /// The `meta` block: where the prices come from and when they were updated.
    public struct Meta: Sendable, Equatable {
        /// `meta.source`, a free-form origin label.
        public var source: String?
        /// `meta.updated_at`, an RFC 3339 timestamp as written.
        public var updatedAt: String?
        /// `meta.version`, a string, or a number's source text.
        public var version: String?

        /// Creates a meta block.
        public init(source: String? = nil, updatedAt: String? = nil, version: String? = nil) {
            self.source = source
            self.updatedAt = updatedAt
            self.version = version
        }
    }

    /// The `meta` block; all fields are `nil` when the file has none.
    public let meta: Meta
    /// The provider aliases in file order; each target is one of ``providers``.
    public let providerAliases: [PricingAlias]
    /// The providers in file order.
    public let providers: [PricingProvider]

    private let providerIndex: [ExactName: Int]
    private let providerAliasIndex: [ExactName: String]
    /// Per provider, in ``providers`` order: model name → position in `models`.
    private let modelIndexes: [[ExactName: Int]]
    /// Per provider, in ``providers`` order: model alias → target model name.
    private let modelAliasIndexes: [[ExactName: String]]

    /// Creates a pricing file from its parts and checks that every alias target exists.
    /// - Throws: ``LedgerInputError`` with code `invalidStructure` for a repeated provider, model
    ///   or alias name, and `unknownAliasTarget` for an alias whose target is not defined.
    public init(meta: Meta = Meta(), providerAliases: [PricingAlias], providers: [PricingProvider])
        throws(LedgerInputError)
    {
        var providerIndex: [ExactName: Int] = [:]
        var modelIndexes: [[ExactName: Int]] = []
        var modelAliasIndexes: [[ExactName: String]] = []
        for (position, provider) in providers.enumerated() {
            guard providerIndex.updateValue(position, forKey: ExactName(provider.name)) == nil else {
                throw Self.duplicate("provider", provider.name, in: "providers")
            }
            var models: [ExactName: Int] = [:]
            for (modelPosition, model) in provider.models.enumerated() {
                guard models.updateValue(modelPosition, forKey: ExactName(model.name)) == nil else {
                    throw Self.duplicate("model", model.name, in: "providers.\(provider.name).models")
                }
            }
            var aliases: [ExactName: String] = [:]
            for alias in provider.modelAliases {
                guard models[ExactName(alias.target)] != nil else {
                    throw LedgerInputError(
                        code: .unknownAliasTarget,
                        message: "model alias \"\(alias.alias)\" of provider \"\(provider.name)\" names model "
                            + "\"\(alias.target)\", which that provider does not define; add the model or fix the alias"
                    )
                }
                guard aliases.updateValue(alias.target, forKey: ExactName(alias.alias)) == nil else {
                    throw Self.duplicate("model alias", alias.alias, in: "providers.\(provider.name).model_aliases")
                }
            }
            modelIndexes.append(models)
            modelAliasIndexes.append(aliases)
        }
        var providerAliasIndex: [ExactName: String] = [:]
        for alias in providerAliases {
            guard providerIndex[ExactName(alias.target)] != nil else {
                throw LedgerInputError(
                    code: .unknownAliasTarget,
                    message: "provider alias \"\(alias.alias)\" names provider \"\(alias.target)\", which the file "
                        + "does not define; add the provider or fix the alias"
                )
            }
            guard providerAliasIndex.updateValue(alias.target, forKey: ExactName(alias.alias)) == nil else {
                throw Self.duplicate("provider alias", alias.alias, in: "provider_aliases")
            }
        }
        self.meta = meta
        self.providerAliases = providerAliases
        self.providers = providers
        self.providerIndex = providerIndex
        self.providerAliasIndex = providerAliasIndex
        self.modelIndexes = modelIndexes
        self.modelAliasIndexes = modelAliasIndexes
    }

    /// Returns the provider with exactly this name, without following aliases.
    public func provider(named name: String) -> PricingProvider? {
        providerIndex[ExactName(name)].map { providers[$0] }
    }

    /// Resolves a provider and model name to a price entry, following each alias one hop.
    ///
    /// A provider alias takes precedence over a provider of the same name, and a model alias over a
    /// model of the same name, as in tokenledger. Names compare exactly, without case folding or
    /// slugs. Returns `nil` when the provider or the model has no price.
    public func resolve(provider: String, model: String) -> ResolvedPrice? {
        let providerName = providerAliasIndex[ExactName(provider)] ?? provider
        guard let providerPosition = providerIndex[ExactName(providerName)] else { return nil }
        let modelName = modelAliasIndexes[providerPosition][ExactName(model)] ?? model
        guard let modelPosition = modelIndexes[providerPosition][ExactName(modelName)] else { return nil }
        let entry = providers[providerPosition]
        let priced = entry.models[modelPosition]
        return ResolvedPrice(
            provider: entry.name,
            model: priced.name,
            rates: priced.rates,
            subscriptionUSDPerMonth: entry.subscriptionUSDPerMonth
        )
    }

    /// Returns the model named exactly `model` of the provider named exactly `provider`, without
    /// following aliases.
    public func model(named model: String, provider: String) -> PricingModel? {
        guard let providerPosition = providerIndex[ExactName(provider)],
            let modelPosition = modelIndexes[providerPosition][ExactName(model)]
        else { return nil }
        return providers[providerPosition].models[modelPosition]
    }

    private static func duplicate(_ kind: String, _ name: String, in path: String) -> LedgerInputError {
        LedgerInputError(
            code: .invalidStructure,
            message: "\(kind) \"\(name)\" appears twice in \(path); keep one entry"
        )
    }
}

/// A name compared and hashed by its UTF-8 bytes rather than by Unicode canonical equivalence.
struct ExactName: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ name: String) {
        bytes = Array(name.utf8)
    }

    static func == (left: ExactName, right: ExactName) -> Bool {
        left.bytes == right.bytes
    }

    /// Feeds the bytes to `hasher` as one block, which costs far less than the array's own
    /// hashing of one element at a time.
    func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
