/// A portable SHA-256 (FIPS 180-4) in Swift, the reference that the libcrypto-backed `SHA256` is
/// checked against.
struct ReferenceSHA256 {
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockCount = 0
    private var messageLength: UInt64 = 0

    /// Creates a hasher with the standard initial state.
    init() {}

    /// Feeds `bytes` into the hash.
    ///
    /// Contiguous collections (arrays, buffers, slices) are hashed in whole 64-byte blocks read
    /// straight from their storage; other sequences go byte by byte.
    mutating func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        guard handled == nil else { return }
        for byte in bytes {
            block[blockCount] = byte
            blockCount += 1
            messageLength &+= 1
            if blockCount == 64 {
                compressBufferedBlock()
                blockCount = 0
            }
        }
    }

    /// Feeds the bytes of `buffer` into the hash.
    mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        messageLength &+= UInt64(buffer.count)
        var offset = 0
        if blockCount > 0 {
            let taken = min(64 - blockCount, buffer.count)
            for index in 0..<taken {
                block[blockCount + index] = buffer[index]
            }
            blockCount += taken
            offset = taken
            guard blockCount == 64 else { return }
            compressBufferedBlock()
            blockCount = 0
        }
        while buffer.count - offset >= 64 {
            // `base + offset` has at least 64 readable bytes: the loop condition checks it.
            Self.compress(&state, UnsafeRawPointer(base + offset))
            offset += 64
        }
        for index in offset..<buffer.count {
            block[blockCount] = buffer[index]
            blockCount += 1
        }
    }

    /// Finishes the hash and returns the 32-byte digest.
    mutating func finalize() -> [UInt8] {
        let bitLength = messageLength &* 8
        update(CollectionOfOne(0x80))
        while blockCount != 56 {
            update(CollectionOfOne(0))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            update(CollectionOfOne(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))))
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// The SHA-256 digest of `bytes`.
    static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var hasher = ReferenceSHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    private mutating func compressBufferedBlock() {
        block.withUnsafeBytes { bytes in
            // `block` always contains 64 bytes.
            Self.compress(&state, bytes.baseAddress!)
        }
    }

    /// Runs the compression function over the 64 bytes at `input`, which the caller guarantees are
    /// readable. The message schedule lives in a stack buffer, so no block allocates.
    private static func compress(
        _ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32), _ input: UnsafeRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { words in
            // Every index below is in 0..<64, the allocation's capacity.
            for index in 0..<16 {
                let bigEndian = input.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                words[index] = UInt32(bigEndian: bigEndian)
            }
            for index in 16..<64 {
                let w15 = words[index - 15]
                let w2 = words[index - 2]
                let s0 = rotate(w15, 7) ^ rotate(w15, 18) ^ (w15 >> 3)
                let s1 = rotate(w2, 17) ^ rotate(w2, 19) ^ (w2 >> 10)
                words[index] = words[index - 16] &+ s0 &+ words[index - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = state
            roundConstants.withUnsafeBufferPointer { constants in
                for index in 0..<64 {
                    let sum1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
                    let choice = (e & f) ^ (~e & g)
                    let temp1 = h &+ sum1 &+ choice &+ constants[index] &+ words[index]
                    let sum0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let temp2 = sum0 &+ majority
                    h = g
                    g = f
                    f = e
                    e = d &+ temp1
                    d = c
                    c = b
                    b = a
                    a = temp1 &+ temp2
                }
            }
            state = (
                state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f, state.6 &+ g,
                state.7 &+ h
            )
        }
    }

    @inline(__always)
    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value >> count) | (value << (32 - count))
    }
}
