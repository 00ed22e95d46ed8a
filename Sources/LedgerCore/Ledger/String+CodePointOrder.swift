extension String {
    /// Returns whether this string sorts before `other` when compared scalar by scalar, as Python
    /// compares `str` values. Swift's `<` compares canonically equivalent forms instead.
    func precedesInCodePointOrder(_ other: String) -> Bool {
        unicodeScalars.lexicographicallyPrecedes(other.unicodeScalars)
    }
}
