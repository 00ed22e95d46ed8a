import Foundation
import Glibc

/// A datagram socket bound in a temporary directory or in the abstract namespace, standing in
/// for systemd's notification socket.
final class NotifySocket {
    /// The value to put in `NOTIFY_SOCKET`.
    let address: String
    private let descriptor: Int32
    private let directory: URL?

    /// Binds a socket at `<temporary directory>/notify` or, with `isAbstract`, at a unique
    /// abstract name.
    init(isAbstract: Bool = false) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError(message: "socket failed: errno \(errno)") }
        var nameBytes: [UInt8]
        if isAbstract {
            directory = nil
            address = "@tokenledgerd-test-\(UUID().uuidString)"
            nameBytes = [0] + Array(address.utf8.dropFirst())
        } else {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("tokenledgerd-notify-\(UUID())")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            directory = root
            address = root.appendingPathComponent("notify").path
            nameBytes = Array(address.utf8) + [0]
        }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: nameBytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + nameBytes.count)
        let result = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard result == 0 else {
            close(descriptor)
            throw HarnessError(message: "bind \(address) failed: errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
        if let directory {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Receives the next datagram, waiting up to `timeout` seconds; `nil` when none arrives.
    func receive(timeout: Double = 0) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}

extension NotifySocket {
    /// Starts the daemon binary with `arguments` in the package root, as systemd would with this
    /// socket and a watchdog of `watchdogMicroseconds`. Standard error is discarded.
    func startDaemon(_ arguments: [String], watchdogMicroseconds: Int) throws -> Process {
        let process = Process()
        process.executableURL = Harness.binary
        process.arguments = arguments
        process.currentDirectoryURL = Harness.packageRoot
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = address
        environment["WATCHDOG_USEC"] = "\(watchdogMicroseconds)"
        environment["WATCHDOG_PID"] = nil
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
