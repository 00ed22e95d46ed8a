extension PricingFile {
    /// The rate members of a model, in the order the ledger prints them.
    static let optionalRateNames = [
        "cache_write_usd_per_mtok", "cache_read_usd_per_mtok", "tool_input_usd_per_mtok", "tool_output_usd_per_mtok",
    ]

    /// Parses a pricing file from JSON bytes.
    ///
    /// Numbers keep their source text, so `0.30` stays exactly three tenths. Members other than the
    /// ones described in ``PricingFile`` are ignored.
    ///
    /// NOTE: tokenledger reads rates as binary floats and prints Python's `str(float)`, so a rate
    /// with more than 15 significant digits can print differently there.
    /// - Throws: ``LedgerInputError`` with code `invalidJSON` when the bytes are not JSON, with
    ///   `invalidStructure`, `missingField` or `invalidNumber` when the shape is wrong, and with
    ///   `unknownAliasTarget` when an alias names a provider or model that the file does not define.
    public init(json bytes: some Collection<UInt8>) throws(LedgerInputError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw LedgerInputError(code: .invalidJSON, message: "the pricing file is not JSON: \(error)")
        }
        try self.init(json: value)
    }

    /// Reads a pricing file from a parsed JSON value.
    /// - Throws: ``LedgerInputError`` as the initializer from bytes does, except `invalidJSON`.
    public init(json value: JSONValue) throws(LedgerInputError) {
        let root = try Self.object(value, at: "the top level")
        var meta = Meta()
        if let metaValue = root["meta"], !metaValue.isNull {
            let metaObject = try Self.object(metaValue, at: "meta")
            meta.source = try Self.optionalString(metaObject["source"], at: "meta.source")
            meta.updatedAt = try Self.optionalString(metaObject["updated_at"], at: "meta.updated_at")
            switch metaObject["version"] {
            case .string(let text): meta.version = text
            case .number(let text): meta.version = text
            case nil, .null?: meta.version = nil
            default: throw Self.wrongType(at: "meta.version", expected: "a string or a number")
            }
        }
        let providerAliases = try Self.aliases(root["provider_aliases"], at: "provider_aliases")
        guard let providersValue = root["providers"] else {
            throw LedgerInputError(code: .missingField, message: "the pricing file has no providers object; add one")
        }
        var providers: [PricingProvider] = []
        for (name, providerValue) in try Self.members(providersValue, at: "providers") {
            providers.append(try Self.provider(named: name, providerValue))
        }
        try self.init(meta: meta, providerAliases: providerAliases, providers: providers)
    }

    private static func provider(named name: String, _ value: JSONValue) throws(LedgerInputError) -> PricingProvider {
        let path = "providers.\(name)"
        let object = try object(value, at: path)
        let subscription = try optionalDecimal(
            object["subscription_usd_month"],
            at: "\(path).subscription_usd_month"
        )
        let modelAliases = try aliases(object["model_aliases"], at: "\(path).model_aliases")
        var models: [PricingModel] = []
        if let modelsValue = object["models"], !modelsValue.isNull {
            for (modelName, modelValue) in try members(modelsValue, at: "\(path).models") {
                let rates = try rates(modelValue, at: "\(path).models.\(modelName)")
                models.append(PricingModel(name: modelName, rates: rates))
            }
        }
        return PricingProvider(
            name: name,
            subscriptionUSDPerMonth: subscription,
            modelAliases: modelAliases,
            models: models
        )
    }

    private static func rates(_ value: JSONValue, at path: String) throws(LedgerInputError) -> ModelRates {
        let object = try object(value, at: path)
        func required(_ name: String) throws(LedgerInputError) -> LedgerDecimal {
            guard let decimal = try optionalDecimal(object[name], at: "\(path).\(name)") else {
                throw LedgerInputError(
                    code: .missingField,
                    message: "\(path) has no \(name); input_usd_per_mtok and output_usd_per_mtok are required"
                )
            }
            return decimal
        }
        var optional: [LedgerDecimal?] = []
        for name in optionalRateNames {
            optional.append(try optionalDecimal(object[name], at: "\(path).\(name)"))
        }
        return ModelRates(
            inputUSDPerMTok: try required("input_usd_per_mtok"),
            outputUSDPerMTok: try required("output_usd_per_mtok"),
            cacheWriteUSDPerMTok: optional[0],
            cacheReadUSDPerMTok: optional[1],
            toolInputUSDPerMTok: optional[2],
            toolOutputUSDPerMTok: optional[3]
        )
    }

    private static func aliases(_ value: JSONValue?, at path: String) throws(LedgerInputError) -> [PricingAlias] {
        guard let value, !value.isNull else { return [] }
        var aliases: [PricingAlias] = []
        for (alias, targetValue) in try members(value, at: path) {
            guard case .string(let target) = targetValue else {
                throw wrongType(at: "\(path).\(alias)", expected: "a string")
            }
            aliases.append(PricingAlias(alias: alias, target: target))
        }
        return aliases
    }

    /// Returns the members of an object in source order and rejects a name that repeats.
    private static func members(
        _ value: JSONValue,
        at path: String
    ) throws(LedgerInputError) -> [(key: String, value: JSONValue)] {
        let members = try object(value, at: path).members
        var seen: Set<ExactName> = []
        for member in members where !seen.insert(ExactName(member.key)).inserted {
            throw LedgerInputError(
                code: .invalidStructure,
                message: "\"\(member.key)\" appears twice in \(path); keep one entry"
            )
        }
        return members
    }

    private static func object(_ value: JSONValue, at path: String) throws(LedgerInputError) -> JSONObject {
        guard case .object(let object) = value else {
            throw wrongType(at: path, expected: "an object")
        }
        return object
    }

    private static func optionalString(_ value: JSONValue?, at path: String) throws(LedgerInputError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw wrongType(at: path, expected: "a string")
        }
    }

    /// Reads a non-negative decimal from a JSON number; returns `nil` when the member is absent or `null`.
    private static func optionalDecimal(
        _ value: JSONValue?,
        at path: String
    ) throws(LedgerInputError) -> LedgerDecimal? {
        switch value {
        case nil, .null?:
            return nil
        case .number(let text)?:
            guard let decimal = LedgerDecimal(parsing: text) else {
                throw LedgerInputError(
                    code: .invalidNumber,
                    message: "\(path) is \(text.prefix(40)), outside the supported range; write a plain decimal"
                )
            }
            guard !decimal.isNegative || decimal.isZero else {
                throw LedgerInputError(
                    code: .invalidNumber,
                    message: "\(path) is \(decimal), a negative price; prices must be zero or more"
                )
            }
            return decimal
        default:
            throw wrongType(at: path, expected: "a number")
        }
    }

    private static func wrongType(at path: String, expected: String) -> LedgerInputError {
        LedgerInputError(code: .invalidStructure, message: "\(path) must be \(expected)")
    }
}
