/// Maps the provider and model names of events onto the ledger's provider keys and model names.
///
/// Order: the pricing file's provider aliases (exact name), then the built-in table below, then
/// the name itself. Models go through the resolved provider's model aliases in the pricing file.
public struct ProviderMapping: Sendable {
    /// Provider names that producers use, mapped to tokenledger's provider keys.
    ///
    /// CLIProxyAPI executor ids (`claude`, `codex`, `gemini`, `vertex`, `aistudio`, `antigravity`,
    /// …) and every well-known value of the GenAI semantic conventions' `gen_ai.provider.name`,
    /// with the older `gen_ai.system` spellings (`az.ai.openai`, `az.ai.inference`, `vertex_ai`).
    /// Google's executors all map to `google`, the key the ledger infers for Gemini models.
    /// Bedrock, Azure AI Inference and watsonx serve models of several vendors, so each keeps a
    /// key of its own instead of a vendor's.
    public static let builtIn: [String: String] = [
        "anthropic": "claude",
        "claude": "claude",
        "openai": "codex",
        "codex": "codex",
        "azure.ai.openai": "codex",
        "az.ai.openai": "codex",
        "gemini": "google",
        "gemini-cli": "google",
        "gemini-interactions": "google",
        "vertex": "google",
        "aistudio": "google",
        "antigravity": "google",
        "gcp.gemini": "google",
        "gcp.vertex_ai": "google",
        "gcp.gen_ai": "google",
        "vertex_ai": "google",
        "x_ai": "xai",
        "xai": "xai",
        "deepseek": "deepseek",
        "moonshot": "kimi",
        "kimi": "kimi",
        "qwen": "qwen",
        "mistral_ai": "mistral",
        "aws.bedrock": "bedrock",
        "azure.ai.inference": "azure",
        "az.ai.inference": "azure",
        "ibm.watsonx.ai": "watsonx",
        "cohere": "cohere",
        "groq": "groq",
        "perplexity": "perplexity",
    ]

    private let providerAliases: [String: String]
    private let modelAliases: [String: [String: String]]

    /// Creates a mapping from a pricing file; without one, only the built-in table applies.
    public init(pricing: PricingFile?) {
        var providerAliases: [String: String] = [:]
        var modelAliases: [String: [String: String]] = [:]
        for alias in pricing?.providerAliases ?? [] {
            providerAliases[alias.alias] = alias.target
        }
        for provider in pricing?.providers ?? [] {
            var aliases: [String: String] = [:]
            for alias in provider.modelAliases {
                aliases[alias.alias] = alias.target
            }
            modelAliases[provider.name] = aliases
        }
        self.providerAliases = providerAliases
        self.modelAliases = modelAliases
    }

    /// The ledger provider key for a producer's provider name.
    public func provider(_ name: String) -> String {
        if let target = providerAliases[name] {
            return target
        }
        return Self.builtIn[name] ?? Self.builtIn[name.lowercased()] ?? name
    }

    /// The ledger model name: the pricing file's model alias target under `provider`, if any.
    /// - Parameter provider: a ledger provider key, as ``provider(_:)`` returns.
    public func model(_ name: String, provider: String) -> String {
        modelAliases[provider]?[name] ?? name
    }
}
