import Foundation
import Glibc

/// A throwaway PostgreSQL server for replication tests: `initdb` into a temporary directory and
/// `pg_ctl start` on 127.0.0.1 at a free port, with password (SCRAM) authentication over TCP.
///
/// As root the server runs as the `postgres` user through `runuser`, because PostgreSQL refuses
/// to run as root.
final class ReplicationServer {
    /// The directory of Debian's server binaries.
    static let binaries = "/usr/lib/postgresql/15/bin"
    /// Whether the server binaries are installed.
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: binaries + "/initdb")
            && FileManager.default.isExecutableFile(atPath: binaries + "/pg_ctl")
    }

    let directory: URL
    let port: Int
    let user = "ledger"
    let password = "Repl-\(UUID().uuidString.prefix(12))"
    var connectionString: String {
        "host=127.0.0.1 port=\(port) dbname=postgres user=\(user) password=\(password) connect_timeout=5"
    }
    private var data: String { directory.appendingPathComponent("data").path }

    /// Initializes and starts a server.
    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tokenledgerd-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        let passwordFile = directory.appendingPathComponent("password").path
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if getuid() == 0 {
            try Self.shell(["chown", "-R", "postgres", directory.path])
        }
        try runAsServerUser([
            Self.binaries + "/initdb", "-D", data, "-U", user, "--pwfile=\(passwordFile)",
            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync",
        ])
        try start()
    }

    /// Starts the server and waits until it accepts connections.
    func start() throws {
        // The server inherits pg_ctl's standard output, so that output must not be a pipe that
        // this process reads to its end.
        try runAsServerUser(
            detached: true,
            [
                Self.binaries + "/pg_ctl", "-D", data, "-w", "-t", "30", "-l",
                directory.appendingPathComponent("log").path,
                "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off", "start",
            ])
    }

    /// Stops the server at once (`-m immediate`), as a crash or a cut cable would.
    func stop() throws {
        try runAsServerUser([Self.binaries + "/pg_ctl", "-D", data, "-w", "-m", "immediate", "stop"])
    }

    /// Stops the server if it runs and removes its directory.
    func tearDown() {
        _ = try? runAsServerUser([Self.binaries + "/pg_ctl", "-D", data, "-w", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs SQL with psql over the Unix socket (trust) and returns its unaligned output.
    func query(_ sql: String) throws -> String {
        try runAsServerUser([
            Self.binaries + "/psql", "-h", directory.path, "-p", "\(port)", "-U", user, "-d", "postgres", "-Atq",
            "-c", sql,
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    private func runAsServerUser(detached: Bool = false, _ arguments: [String]) throws -> String {
        try Self.shell(getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + arguments : arguments, detached: detached)
    }

    /// Runs `arguments` through posix_spawn and waitpid, with its output in a file.
    ///
    /// Foundation's `Process` is not used: its wait did not return after `pg_ctl start`, whose
    /// server keeps running in the background.
    @discardableResult
    private static func shell(_ arguments: [String], detached: Bool = false) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("tokenledgerd-pg-output-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, detached ? "/dev/null" : outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw HarnessError(message: "cannot start \(arguments[0]): error \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS are macros: exited normally when the low 7 bits are 0.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw HarnessError(message: "\(arguments.prefix(4).joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text
    }

    /// Returns a TCP port on 127.0.0.1 that was free a moment ago, found by binding port 0.
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw HarnessError(message: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
