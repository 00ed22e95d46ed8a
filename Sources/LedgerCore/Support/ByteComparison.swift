import Glibc

extension Array where Element == UInt8 {
    /// Returns whether the array contains exactly the bytes of `other`.
    @inline(__always)
    public func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        guard let base = other.baseAddress, !isEmpty else { return true }
        return withUnsafeBufferPointer { memcmp($0.baseAddress!, base, count) == 0 }
    }
}
