// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "tokenledgerd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tokenledgerd", targets: ["tokenledgerd"])
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            path: "Sources/CCrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLibpq",
            path: "Sources/CLibpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "CSystemShims",
            path: "Sources/CSystemShims"
        ),
        .target(
            name: "LedgerCore",
            dependencies: ["CCrypto"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "LedgerStore",
            dependencies: ["LedgerCore", "CSQLite"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "LedgerDaemon",
            dependencies: ["LedgerCore", "LedgerStore", "CZlib", "CSystemShims", "CLibpq"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tokenledgerd",
            dependencies: ["LedgerDaemon"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LedgerCoreTests",
            dependencies: ["LedgerCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: ["LedgerStore", "LedgerCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["tokenledgerd", "LedgerCore", "LedgerStore"],
            swiftSettings: strictSettings
        ),
    ]
)
