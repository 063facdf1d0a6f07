// swift-tools-version: 6.1
import PackageDescription

/// evsed: charger-side firmware daemon for AC EV chargers on a Linux single-board computer.
///
/// Module layout (see README.md): the C libraries of the drivers sit behind system-library targets
/// that only `Hardware` imports; `Runtime` holds threads, clocks, the serial port and systemd's
/// pieces, which Alerts and Console use without linking the drivers; `EVSECore` is pure logic;
/// `Sessions` is the one model of a charging session, which the ledger, alerts and scenarios read;
/// `Simulation` is the shipped test double of the hardware; `ChargerService` keeps the books and
/// tells everyone else; `evsed` wires them together.
let package = Package(
    name: "evsed",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "evsed", targets: ["evsed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // SHA-256 for the ledger's chain, ECDSA P-256 for its signed session records.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C libraries: a module map and a header each. CSQLite's and CCurl's add small typed doors
        // to variadic functions Swift cannot call; CCurl's and CMosquitto's open their library with
        // dlopen when a channel needs it.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        .systemLibrary(
            name: "CGPIOD",
            pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]
        ),
        .systemLibrary(
            name: "CI2C",
            providers: [.apt(["libi2c-dev"])]
        ),
        // libcurl and libmosquitto: headers only; Alerts opens the libraries when a channel needs
        // them (their dependencies would otherwise cost every charger about 6 MB resident).
        // glibc's timerfd, which Swift's Glibc module leaves out (Runtime's clock watch).
        .systemLibrary(name: "CLinuxTime"),
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMosquitto", providers: [.apt(["libmosquitto-dev"])]),
        // libwebsockets: headers only; OCPP opens the library when an [ocpp] table asks for it.
        .systemLibrary(name: "CWebSockets", providers: [.apt(["libwebsockets-dev"])]),
        .systemLibrary(name: "CNFC", providers: [.apt(["libnfc-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Pure logic: units, pilot decoding, the IEC 61851 state machine, faults, sessions,
        // and the protocols the hardware implements.
        .target(name: "EVSECore"),

        // A TOML reader whose errors name the file, the line and the key (board files, scenarios,
        // and later the configuration and tariffs).
        .target(name: "ConfigFile"),

        // Money, tariffs (OCPI 2.2.1 semantics) and the cost of a session: pure.
        .target(name: "Billing", dependencies: ["ConfigFile"]),

        // What a daemon needs of Linux apart from its devices: the monotonic clock, periodic
        // real-time threads, raw serial ports, and systemd's notify socket, watchdog and journal.
        .target(name: "Runtime", dependencies: ["EVSECore", "CLinuxTime"]),

        // The one model of a charging session (`SessionBooks`): its owner, samples, energy,
        // interruptions, end and cost, from the control loop's events; and wall-clock time.
        .target(name: "Sessions", dependencies: ["EVSECore", "Billing"]),

        // Linux drivers behind EVSECore's protocols (Modbus meters, GPIO, I2C, sysfs PWM) and
        // board files.
        .target(name: "Hardware", dependencies: ["EVSECore", "ConfigFile", "Runtime", "CModbus", "CGPIOD", "CI2C"]),

        // Simulated devices, the EV model, scenarios and the virtual-time runner.
        .target(name: "Simulation", dependencies: ["EVSECore", "ConfigFile", "Billing", "Sessions", "Runtime", "Hardware"]),

        // The books: sessions, readings, faults and bills in SQLite, chained and signed; recovery
        // of an open session after a restart; export and verification.
        .target(
            name: "Ledger",
            dependencies: [
                "EVSECore", "Billing", "Sessions", "ConfigFile", "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // Owner alerts: the rules that raise them, templates, routing to owners' channels, the
        // delivery worker over the ledger's outbox, and the channels (SMTP and HTTP through libcurl,
        // MQTT through libmosquitto, SMS through a modem's AT commands or an HTTP gateway).
        .target(
            name: "Alerts",
            dependencies: [
                "EVSECore", "Billing", "Sessions", "ConfigFile", "Ledger", "Runtime", "CCurl", "CMosquitto",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The technician's console: line editing and the command language (pure), its service.
        .target(
            name: "Console",
            dependencies: [
                "EVSECore", "ConfigFile", "Runtime", .product(name: "Crypto", package: "swift-crypto"),
                // PBKDF2 for the stored PIN.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),

        // What runs the charger above the control loop: the loop's events written to the ledger
        // first, then the log's entries and the owner's alerts from the same books, then the
        // subscribers (the console's view, the journal, the MQTT state); what the pipeline asks of
        // the loop goes back through its command queue.
        .target(name: "ChargerService", dependencies: ["EVSECore", "Billing", "Sessions", "Ledger", "Alerts", "Runtime"]),

        // OCPP 1.6J: the charge point's side of a central system's protocol, one more subscriber of
        // the pipeline and one more source of commands; its transaction messages queued in the ledger.
        .target(name: "OCPP", dependencies: ["EVSECore", "ConfigFile", "Billing", "Sessions", "Ledger", "ChargerService", "Runtime", "CWebSockets"]),

        // Cards: the board's `[cards]` table, and the RFID reader (an NXP PN532 through libnfc,
        // opened with dlopen only when the board names one) on its own thread.
        .target(name: "Cards", dependencies: ["EVSECore", "ConfigFile", "Ledger", "ChargerService", "Runtime", "CNFC"]),

        // The owner's live page: a subscriber of the pipeline served by libmicrohttpd (opened with
        // dlopen only when the board's [page] asks for it).
        .target(name: "LivePage", dependencies: ["EVSECore", "ConfigFile", "Billing", "Sessions", "ChargerService", "Runtime", "CMicroHTTPD"]),

        .executableTarget(
            name: "evsed",
            dependencies: [
                "EVSECore", "ConfigFile", "Runtime", "Hardware", "Simulation", "Billing", "Sessions", "Ledger", "Console", "Alerts",
                "ChargerService", "OCPP", "Cards", "LivePage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Benchmarks (make bench): they report figures, they do not pass or fail.
        .executableTarget(name: "ledger-bench", dependencies: ["Ledger", "Billing", "Sessions", "EVSECore"], path: "bench/ledger"),
        .executableTarget(name: "loop-bench", dependencies: ["CLinuxTime", "EVSECore", "Hardware", "Runtime", "Simulation", "KernelSimulators"], path: "bench/loop"),
        // Seeded mutation of every input evsed reads (make test runs it briefly, make fuzz long).
        .executableTarget(
            name: "evsed-fuzz", dependencies: ["ConfigFile", "Billing", "Hardware", "Simulation", "Alerts", "Console", "Ledger", "EVSECore", "OCPP", "Sessions",
                                               "Cards", "ChargerService"],
            path: "Tests/Fuzz"),
        // The same readers for libFuzzer (`make fuzz`); a normal build replays saved inputs.
        .executableTarget(
            name: "evsed-libfuzz", dependencies: ["ConfigFile", "Billing", "Hardware", "Alerts", "Console", "EVSECore"],
            path: "Tests/LibFuzz", swiftSettings: [.unsafeFlags(["-parse-as-library"])]),

        // Counts Swift heap allocations in tests (the control loop must not allocate).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(
            name: "EVSECoreTests",
            dependencies: [
                "EVSECore", "AllocationCounter",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "ConfigFileTests", dependencies: ["ConfigFile", "TestSupport"],
                    // TOML files read from the repository by the conformance tests.
                    exclude: ["TOML"]),
        .testTarget(name: "BillingTests", dependencies: ["Billing", "ConfigFile", "Simulation", "TestSupport"]),
        .testTarget(
            name: "SessionsTests",
            dependencies: ["Sessions", "Billing", "EVSECore", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "AlertsTests", dependencies: ["Alerts", "Ledger", "Billing", "Sessions", "EVSECore", "ConfigFile", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "EVSECore", "TestSupport"]),
        .testTarget(
            name: "LedgerTests",
            dependencies: [
                "Ledger", "Billing", "Sessions", "EVSECore", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            // A ledger written by an older evsed, read from the repository by the upgrade test.
            exclude: ["Fixtures"]
        ),
        // Stand-ins for systemd's sockets and the wall clock, shared by the tests.
        // The kernel's gpio-sim through configfs and a posix_spawn child, for the guest stage's tests
        // and the loop bench.
        .target(name: "KernelSimulators", path: "Tests/KernelSimulators"),
        .target(name: "TestSupport", dependencies: ["EVSECore", "Sessions", "KernelSimulators"], path: "Tests/TestSupport"),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "EVSECore", "TestSupport"]),
        .testTarget(name: "HardwareTests", dependencies: ["Hardware", "Runtime", "EVSECore", "ConfigFile", "TestSupport", "KernelSimulators"]),
        .testTarget(name: "SimulationTests", dependencies: ["Simulation", "EVSECore", "ConfigFile", "Hardware", "Ledger", "Billing", "Sessions", "Runtime", "TestSupport"]),
        .testTarget(name: "ChargerServiceTests", dependencies: ["ChargerService", "EVSECore", "ConfigFile", "Ledger", "Billing", "Sessions", "Alerts", "Runtime", "TestSupport"]),
        .testTarget(name: "CardsTests", dependencies: ["Cards", "ChargerService", "EVSECore", "Ledger", "Sessions", "ConfigFile", "TestSupport"]),
        .testTarget(name: "OCPPTests", dependencies: ["OCPP", "ChargerService", "EVSECore", "Ledger", "Sessions", "Billing", "ConfigFile", "TestSupport"]),
        // Drives the built `evsed` executable as a user would.
        .testTarget(name: "evsedTests", dependencies: ["evsed", "Simulation", "TestSupport", "KernelSimulators"]),
    ]
)
