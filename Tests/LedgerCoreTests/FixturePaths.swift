import Foundation

/// Locations of the fixtures and sample files checked into the repository.
enum FixturePaths {
    /// The package root, found from this source file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `Tests/Fixtures`.
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// A file under `Tests/Fixtures`.
    static func fixture(_ relativePath: String) -> URL {
        fixtures.appendingPathComponent(relativePath)
    }

    /// The lines of a JSON-lines fixture, without their newlines.
    static func lines(_ relativePath: String) throws -> [[UInt8]] {
        let data = try Data(contentsOf: fixture(relativePath))
        return data.split(separator: 0x0A, omittingEmptySubsequences: true).map { Array($0) }
    }
}
