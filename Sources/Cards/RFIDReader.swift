#if canImport(Glibc)
import Glibc
#endif
import CNFC
import EVSECore
import Ledger
import Runtime

/// What the reader's thread reports to the pipeline's.
public enum ReaderReport: Sendable, Equatable {
    /// A card came to the reader (its UID, `CardID` form): once per presentation.
    case card(String)
    /// The reader's state changed (opened, lost, cannot be opened): a line for the log.
    case status(String)
}

/// Why libnfc could not be used.
public struct ReaderError: Error, CustomStringConvertible {
    public let description: String
}

/// An NXP PN532 through libnfc, on its own thread: it looks for an ISO 14443A card every poll
/// interval and reports each card once while it stays on the reader (it must be away for a poll
/// before it counts again). A reader that cannot be opened, or stops answering, is reported once
/// and opened again every 5 s; the charger goes on meanwhile (cards are then not read).
///
/// libnfc is opened with dlopen here, once; its context and device have one owner, the
/// thread's `Session`, which closes them when the thread has stopped.
public final class RFIDReader: Sendable {
    public let settings: CardSettings.Reader
    /// The reports, for the pipeline's thread to drain.
    public let reports = BoundedQueue<ReaderReport>(capacity: 64)
    private let thread: Lock<PeriodicThread?> = Lock(nil)
    private let session: Lock<Session>

    /// Loads libnfc; throws when it is not installed (the board names a reader: `run` stops).
    public init(settings: CardSettings.Reader) throws(ReaderError) {
        // libnfc writes its own errors to standard error; evsed says what they mean, once.
        setenv("LIBNFC_LOG_LEVEL", "0", 0)
        var api = evsed_nfc()
        guard evsed_nfc_open(&api) != 0 else {
            throw ReaderError(description: "libnfc cannot be loaded (\(dlerror().map { String(cString: $0) } ?? "a function is missing")): apt install libnfc6")
        }
        self.settings = settings
        session = Lock(Session(api: api, connection: settings.connectionString))
    }

    /// Starts polling.
    public func start() {
        let reports = self.reports
        let session = self.session
        thread.withLock { thread in
            guard thread == nil else { return }
            thread = PeriodicThread(name: "rfid", period: settings.pollInterval) { deadline, _ in
                for report in session.withLock({ $0.poll(at: deadline) }) { _ = reports.push(report) }
            }
        }
    }

    /// Stops the thread, then closes the device and libnfc's context.
    public func stop() {
        let running = thread.withLock { thread in defer { thread = nil }; return thread }
        running?.stop()
        session.withLock { $0.close() }
    }

    /// The device and what was last seen, used from the polling thread only (and at `stop`).
    struct Session: ~Copyable {
        let api: evsed_nfc
        let connection: String
        var context: OpaquePointer?
        var device: OpaquePointer?
        /// The card on the reader at the last poll.
        var present: String?
        var retryAt: Instant?
        var lastProblem: String?

        init(api: evsed_nfc, connection: String) {
            self.api = api
            self.connection = connection
        }

        mutating func poll(at now: Instant) -> [ReaderReport] {
            var reports: [ReaderReport] = []
            if device == nil {
                if let retryAt, now < retryAt { return [] }
                if let problem = open() {
                    retryAt = now + .seconds(5)
                    if problem != lastProblem { reports.append(.status("rfid reader \(connection): \(problem); trying again every 5 s")) }
                    lastProblem = problem
                    return reports
                }
                lastProblem = nil
                reports.append(.status("rfid reader \(connection) open"))
            }
            guard let device else { return reports }
            var target = nfc_target()
            let found = api.select_passive_target(device, evsed_nfc_iso14443a(), nil, 0, &target)
            if found < 0 {
                // NFC_ETIMEOUT and the like mean no card; an I/O error means the reader is gone.
                if found == NFC_EIO || found == NFC_ENOTSUCHDEV || found == NFC_ECHIP {
                    let reason = api.strerror(device).map { String(cString: $0) } ?? "error \(found)"
                    closeDevice()
                    retryAt = now + .seconds(5)
                    lastProblem = reason
                    present = nil
                    return reports + [.status("rfid reader \(connection) stopped answering (\(reason)); trying again every 5 s")]
                }
                present = nil
                return reports
            }
            guard found > 0 else {
                present = nil
                return reports
            }
            var bytes = [UInt8](repeating: 0, count: 10)
            let length = evsed_nfc_uid(&target, &bytes)
            _ = api.deselect_target(device)
            guard [4, 7, 10].contains(length) else { return reports }
            let uid = CardID.uid(bytes[0..<length])
            defer { present = uid }
            return uid == present ? reports : reports + [.card(uid)]
        }

        /// Opens libnfc's context and the device; the problem when it cannot.
        private mutating func open() -> String? {
            if context == nil {
                var opened: OpaquePointer?
                api.initialize(&opened)
                guard let opened else { return "libnfc could not start (out of memory?)" }
                context = opened
            }
            guard let context, let device = api.open(context, connection) else { return "cannot be opened (no PN532 answers there)" }
            guard api.initiator_init(device) >= 0 else {
                let reason = api.strerror(device).map { String(cString: $0) } ?? "unknown error"
                api.close(device)
                return "does not start as an initiator (\(reason))"
            }
            // One search per poll, not an endless one: the thread must stay responsive to stop.
            _ = api.set_property_bool(device, NP_INFINITE_SELECT, false)
            self.device = device
            return nil
        }

        private mutating func closeDevice() {
            if let device { api.close(device) }
            device = nil
        }

        mutating func close() {
            closeDevice()
            if let context { api.exit(context) }
            context = nil
        }
    }
}
