extension GenAIPriceData {
    /// Parses genai-prices' `data.json`: an array of providers, each with models, match rules and
    /// prices, as `data.schema.json` defines them.
    ///
    /// Usage extractors, URLs and descriptions are not read. Unknown price names are kept.
    /// - Throws: ``PricingError`` with code `invalidPriceData` naming the JSON path of the first
    ///   invalid value.
    public init(json bytes: [UInt8]) throws(PricingError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw PricingError(code: .invalidPriceData, message: "price data is not valid JSON: \(error)")
        }
        guard let elements = root.arrayValue else { throw Self.invalid(at: "$", "an array of providers") }
        var providers: [GenAIProvider] = []
        for (index, element) in elements.enumerated() {
            providers.append(try Self.provider(element, at: "$[\(index)]"))
        }
        self.init(providers: providers, fileHash: PriceReference.fileHash(of: bytes))
    }

    private static func provider(_ value: JSONValue, at path: String) throws(PricingError) -> GenAIProvider {
        guard let id = value["id"]?.stringValue else { throw invalid(at: "\(path).id", "a string") }
        let providerPath = "\(path)(\(id))"
        var fallbacks: [String] = []
        if let list = value["fallback_model_providers"] {
            guard let entries = list.arrayValue else {
                throw invalid(at: "\(providerPath).fallback_model_providers", "an array of strings")
            }
            for entry in entries {
                guard let name = entry.stringValue else {
                    throw invalid(at: "\(providerPath).fallback_model_providers", "an array of strings")
                }
                fallbacks.append(name)
            }
        }
        guard let modelValues = value["models"]?.arrayValue else {
            throw invalid(at: "\(providerPath).models", "an array")
        }
        var models: [GenAIModel] = []
        for (index, modelValue) in modelValues.enumerated() {
            models.append(try model(modelValue, at: "\(providerPath).models[\(index)]"))
        }
        return GenAIProvider(
            id: id, providerMatch: try optionalClause(value["provider_match"], at: "\(providerPath).provider_match"),
            modelMatch: try optionalClause(value["model_match"], at: "\(providerPath).model_match"),
            fallbackModelProviders: fallbacks, models: models)
    }

    private static func optionalClause(_ value: JSONValue?, at path: String) throws(PricingError) -> GenAIMatchClause? {
        guard let value, !value.isNull else { return nil }
        return try GenAIMatchClause(json: value, at: path)
    }

    private static func model(_ value: JSONValue, at path: String) throws(PricingError) -> GenAIModel {
        guard let id = value["id"]?.stringValue else { throw invalid(at: "\(path).id", "a string") }
        let modelPath = "\(path)(\(id))"
        guard let matchValue = value["match"] else { throw invalid(at: "\(modelPath).match", "a match clause") }
        let match = try GenAIMatchClause(json: matchValue, at: "\(modelPath).match")
        var prices: [GenAIConditionalPrice] = []
        switch value["prices"] {
        case .object?:
            prices = [
                GenAIConditionalPrice(constraint: nil, price: try price(value["prices"], at: "\(modelPath).prices"))
            ]
        case .array(let entries)?:
            for (index, entry) in entries.enumerated() {
                let entryPath = "\(modelPath).prices[\(index)]"
                prices.append(
                    GenAIConditionalPrice(
                        constraint: try constraint(entry["constraint"], at: "\(entryPath).constraint"),
                        price: try price(entry["prices"], at: "\(entryPath).prices")))
            }
        default:
            throw invalid(at: "\(modelPath).prices", "an object or an array of conditional prices")
        }
        return GenAIModel(id: id, match: match, prices: prices)
    }

    private static func price(_ value: JSONValue?, at path: String) throws(PricingError) -> GenAIModelPrice {
        guard let object = value?.objectValue else { throw invalid(at: path, "an object of rates") }
        var rates: [String: GenAIRate] = [:]
        for member in object.members {
            rates[member.key] = try rate(member.value, at: "\(path).\(member.key)")
        }
        return GenAIModelPrice(rates: rates)
    }

    private static func rate(_ value: JSONValue, at path: String) throws(PricingError) -> GenAIRate {
        if let amount = money(value) { return .flat(amount) }
        guard let base = value["base"].flatMap(money), let tierValues = value["tiers"]?.arrayValue else {
            throw invalid(at: path, "a non-negative number or {base, tiers}")
        }
        var tiers: [GenAITier] = []
        for (index, tierValue) in tierValues.enumerated() {
            guard let start = tierValue["start"]?.int64Value, let price = tierValue["price"].flatMap(money) else {
                throw invalid(at: "\(path).tiers[\(index)]", "{start: integer, price: non-negative number}")
            }
            tiers.append(GenAITier(start: start, price: price))
        }
        return .tiered(base: base, tiers: tiers)
    }

    private static func money(_ value: JSONValue) -> Money? {
        guard case .number(let text) = value, let amount = Money(parsing: text), !amount.isNegative else { return nil }
        return amount
    }

    private static func constraint(_ value: JSONValue?, at path: String) throws(PricingError) -> GenAIPriceConstraint? {
        guard let value, !value.isNull else { return nil }
        if let text = value["start_date"]?.stringValue {
            guard let days = Self.days(fromDate: text) else { throw invalid(at: "\(path).start_date", "YYYY-MM-DD") }
            return .startDate(daysSinceEpoch: days)
        }
        guard let startText = value["start_time"]?.stringValue, let endText = value["end_time"]?.stringValue,
            let start = Self.secondOfDay(fromTime: startText), let end = Self.secondOfDay(fromTime: endText)
        else {
            throw invalid(at: path, "{start_date} or {start_time, end_time} as HH:MM:SS with an optional offset")
        }
        return .timeOfDay(startSecond: start, endSecond: end)
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` date.
    static func days(fromDate text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        return Timestamp.daysFromCivil(year: year, month: month, day: day)
    }

    /// Seconds after midnight UTC of `HH:MM[:SS[.fraction]]` with an optional `Z` or `±HH:MM`
    /// offset; a time without offset is taken as UTC.
    static func secondOfDay(fromTime text: String) -> Int64? {
        var clock = Substring(text)
        var offsetSeconds: Int64 = 0
        if clock.hasSuffix("Z") {
            clock = clock.dropLast()
        } else if let signIndex = clock.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = clock[clock.index(after: signIndex)...].split(separator: ":")
            guard offset.count == 2, let hours = Int64(offset[0]), let minutes = Int64(offset[1]) else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (clock[signIndex] == "-" ? -1 : 1)
            clock = clock[..<signIndex]
        }
        let fields = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2 || fields.count == 3, let hours = Int64(fields[0]), let minutes = Int64(fields[1]),
            (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        var seconds: Int64 = 0
        if fields.count == 3 {
            guard let whole = Int64(fields[2].prefix { $0 != "." }), (0..<61).contains(whole) else { return nil }
            seconds = whole
        }
        let local = hours * 3600 + minutes * 60 + seconds
        return ((local - offsetSeconds) % 86_400 + 86_400) % 86_400
    }

    private static func invalid(at path: String, _ expected: String) -> PricingError {
        PricingError(code: .invalidPriceData, message: "invalid genai-prices data at \(path): expected \(expected)")
    }
}
