/// An error of the pricing engine: a price file or a usage object that cannot be used.
public struct PricingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable {
        /// The price data is not valid JSON or does not have the expected structure.
        case invalidPriceData
        /// A usage object lacks a required counter or carries a counter of the wrong type.
        case invalidUsage
        /// Token counts are negative, or a part exceeds the bucket that contains it.
        case invalidTokens
    }

    /// The kind of failure.
    public var code: Code
    /// A message naming the failure, the value and the next step; never a whole payload.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
