#if canImport(Glibc)
import Glibc
#endif
import Billing
import EVSECore
import Foundation
import Ledger
import Sessions

// The ledger's figures: readings appended per second with the daemon's durability, the size of
// a two-hour session, the time to bill one from its readings, and `evsed ledger list` / `show`
// on a ledger of 10,000 sessions. Prints one JSON object per figure.
//
//   ledger-bench [--sessions 10000] [--evsed .build/release/evsed] [--directory /tmp/x]

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}
let sessionCount = Int(option("--sessions", "10000")) ?? 10_000
let evsed = option("--evsed", ".build/release/evsed")
let directory = option("--directory", NSTemporaryDirectory() + "evsed-ledger-bench-\(getpid())")
try? FileManager.default.removeItem(atPath: directory)

let tariff = try TariffSnapshot(text: """
    id = "bench"
    currency = "EUR"
    parking_grace_min = 15
    [[element]]
    restrictions = { start_time = "07:00", end_time = "22:00" }
    components = [{ type = "ENERGY", price = "0.32", vat = "20" }, { type = "TIME", price = "0.60", vat = "20", step_s = 60 }]
    [[element]]
    components = [{ type = "ENERGY", price = "0.22", vat = "20" }, { type = "PARKING_TIME", price = "3.00", vat = "20", step_s = 300 }]
    """, file: "bench tariff")
let origin = Timestamp(milliseconds: 1_767_772_800_000)  // 2026-01-07 08:00 UTC

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func report(_ name: String, _ value: Double, _ unit: String, _ note: String = "") {
    var line = JSONLine()
    line.add("benchmark", "ledger")
    line.add("figure", name)
    line.add("value", value, decimals: 3)
    line.add("unit", unit)
    if !note.isEmpty { line.add("note", note) }
    print(line)
}

/// The events of one session: a reading every `every` seconds for `seconds`, charging at 11 kW.
func sessionEvents(id: UInt64, start: Instant, register: inout Double, seconds total: Int, every: Int) -> [TimedEvent] {
    var events: [TimedEvent] = []
    var now = start
    func reading(_ power: Double) -> TimedEvent {
        TimedEvent(at: now, event: .meterReading(MeterReading(
            voltage: PhaseValues(Volts(230), Volts(230), Volts(230)), current: PhaseValues(Amperes(16), Amperes(16), Amperes(16)),
            power: Watts(power), importEnergy: WattHours(register))))
    }
    events.append(reading(0))
    events.append(TimedEvent(at: now, event: .action(.sessionStarted(SessionID(rawValue: id)))))
    events.append(TimedEvent(at: now, event: .action(.closeContactor)))
    var elapsed = 0
    while elapsed < total {
        now = now + .seconds(every)
        elapsed += every
        register += 11_040 * Double(every) / 3600
        events.append(reading(11_040))
    }
    events.append(TimedEvent(at: now, event: .action(.openContactor)))
    events.append(TimedEvent(at: now, event: .action(.sessionEnded(SessionID(rawValue: id), .vehicleUnplugged))))
    now = now + .seconds(1)
    events.append(reading(0))
    return events
}

// 1. A two-hour session as the daemon records it (a reading a second, 10 s batches, fsync'd).
let single = directory + "/two-hours/ledger.sqlite"
let recorder = LedgerRecorder(ledger: try Ledger(path: single, create: true, chargerID: "bench"),
                              clock: WallClock(originInstant: .zero, originTimestamp: origin), tariff: tariff, meter: "bench")
let emptySize = try recorder.ledger.sizeInBytes()
var register = 1_000_000.0
let twoHours = sessionEvents(id: 1, start: .zero, register: &register, seconds: 7200, every: 1)
let recordTime = try seconds { for event in twoHours { try recorder.record(event) } }
let sessionBytes = try recorder.ledger.sizeInBytes() - emptySize
report("two_hour_session_bytes", Double(sessionBytes), "bytes", "7200 readings (1 s), 720 batches, bill and signature")
report("two_hour_session_record_seconds", recordTime, "s", "recording 2 h of events with fsync per 10 s batch")

// 2. Readings appended per second: batches of 10 (the daemon's 10 s at 1 s polling) and one per commit.
for batch in [10, 1] {
    let path = directory + "/append-\(batch)/ledger.sqlite"
    let ledger = try Ledger(path: path, create: true)
    try ledger.openSession(1, at: origin, startRegisterWh: 0, owner: nil, meter: "bench", tariff: tariff, clock: .synchronized)
    var figures = MeteredSession(tariff: tariff.tariff, startMilliseconds: origin.milliseconds, startRegisterWh: 0) { Timestamp(milliseconds: $0).local }
    let total = 2000
    var samples: [MeterSample] = []
    let time = try seconds {
        for index in 1...total {
            let sample = MeterSample(milliseconds: origin.milliseconds + Int64(index) * 1000, registerWh: Int64(index * 3), activity: .charging,
                                     current: 16, power: 11_040, voltage: 230)
            figures.add(sample)
            samples.append(sample)
            if samples.count == batch {
                try ledger.storeReadings(samples, session: 1, figures: figures)
                samples.removeAll(keepingCapacity: true)
            }
        }
    }
    report("readings_per_second_batch_\(batch)", Double(total) / time, "readings/s", "each commit fsync'd (synchronous=FULL, WAL)")
}

// 3. The bill of the two-hour session recomputed from its stored readings.
let stored = try recorder.ledger.readings(of: 1).map(\.sample)
let session = try recorder.ledger.session(1)!
var billTimes: [Double] = []
for _ in 0..<20 {
    billTimes.append(seconds { _ = recorder.books.replay(session.stored, readings: stored).bill })
}
billTimes.sort()
report("bill_from_7200_readings_seconds", billTimes[billTimes.count / 2], "s", "median of 20")

// 4. A ledger of many sessions (two hours each, readings thinned to one per 5 minutes, as the
// retention policy leaves them), then evsed ledger list and show on it.
let large = directory + "/many/ledger.sqlite"
let many = LedgerRecorder(ledger: try Ledger(path: large, create: true, chargerID: "bench"),
                          clock: WallClock(originInstant: .zero, originTimestamp: origin), tariff: tariff, meter: "bench")
try many.ledger.setDurable(false)
var start = Instant.zero
let generation = try seconds {
    for id in 1...sessionCount {
        for event in sessionEvents(id: UInt64(id), start: start, register: &register, seconds: 7200, every: 300) { try many.record(event) }
        start = start + .seconds(3 * 3600)
    }
}
try many.ledger.setDurable(true)
report("generated_sessions", Double(sessionCount), "sessions", "in \(Int(generation)) s; \(try many.ledger.sizeInBytes() / 1_048_576) MiB")

/// Runs evsed with `arguments` (output to /dev/null) `runs` times: the median and the longest
/// wall time of the whole process, from posix_spawn to waitpid.
func timeCommand(_ arguments: [String], runs: Int = 10) -> (median: Double, max: Double) {
    var times: [Double] = []
    for _ in 0..<runs {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([evsed] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        times.append(seconds {
            var pid = pid_t()
            guard posix_spawn(&pid, evsed, &actions, nil, argv, environ) == 0 else { return }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        })
        posix_spawn_file_actions_destroy(&actions)
    }
    times.sort()
    return (times[times.count / 2], times.last!)
}
if FileManager.default.isExecutableFile(atPath: evsed) {
    let middle = String(sessionCount / 2)
    for (name, command) in [("ledger_show", ["ledger", "show", middle, "--ledger", large]),
                            ("ledger_list_last_20", ["ledger", "list", "--last", "20", "--ledger", large]),
                            ("ledger_list_all", ["ledger", "list", "--ledger", large]),
                            ("ledger_verify", ["ledger", "verify", "--ledger", large])] {
        let timing = timeCommand(command, runs: name == "ledger_verify" ? 3 : 10)
        let shown = command.filter { $0 != large && $0 != "--ledger" }.joined(separator: " ")
        report(name + "_seconds", timing.median, "s", "evsed \(shown) on \(sessionCount) sessions, whole process, median; max \((timing.max * 1000).rounded() / 1000) s")
    }
} else {
    report("ledger_show_seconds", .nan, "s", "\(evsed) not found; build it with make release")
}
if !arguments.contains("--keep") { try? FileManager.default.removeItem(atPath: directory) }
