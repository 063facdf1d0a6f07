import Foundation
import Testing
@testable import Ledger

/// Opening, creating and refusing databases.
@Suite struct LedgerStorageTests {
    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    @Test func aNewLedgerIsWALWithItsKeyReadableOnlyByItsOwner() throws {
        let path = temporaryLedgerPath()
        let ledger = try Ledger(path: path, create: true, chargerID: "c1")
        #expect(try ledger.database.query("PRAGMA journal_mode") { $0.text(0) } == ["wal"])
        #expect(try ledger.database.integerPragma("synchronous") == 2)  // FULL
        #expect(try ledger.database.integerPragma("application_id") == LedgerSchema.applicationID)
        let attributes = try FileManager.default.attributesOfItem(atPath: Ledger.keyPath(for: path))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try ledger.records().map(\.kind) == ["ledger_created"])
        // Opened again, it is the same ledger with the same key.
        let again = try Ledger(path: path)
        #expect(again.publicKey == ledger.publicKey)
        #expect(again.chargerID == "c1")
    }

    @Test func readersNeedNoKeyAndAMissingLedgerIsNamed() throws {
        let path = temporaryLedgerPath()
        #expect(throws: LedgerError.self) { try Ledger(path: path, create: false, writable: false) }
        _ = try Ledger(path: path, create: true)
        try FileManager.default.removeItem(atPath: Ledger.keyPath(for: path))
        let reader = try Ledger(path: path, writable: false)
        #expect(try reader.verify().isIntact)
        // A writer without its key stops rather than writing unsigned sessions.
        #expect { try Ledger(path: path) } throws: { "\($0)".contains("signing key missing") }
    }

    @Test func anotherApplicationsDatabaseIsRefusedAndLeftAlone() throws {
        let path = temporaryLedgerPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let other = try SQLiteConnection(path: path, create: true)
            try other.execute("CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos(name) VALUES ('cat')")
        }
        let before = bytes(path)
        #expect { try Ledger(path: path, create: true) } throws: { error in
            guard case LedgerError.notALedger = error else { return false }
            return "\(error)".contains("not an evsed ledger")
        }
        #expect(bytes(path) == before)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedAndLeftAlone() throws {
        let path = temporaryLedgerPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect { try Ledger(path: path, create: true) } throws: { error in
            guard case LedgerError.corrupt = error else { return false }
            return true
        }
        #expect(bytes(path) == garbage)
    }

    @Test func aDamagedLedgerIsReportedNotRepaired() throws {
        let path = temporaryLedgerPath()
        let books = try recorder(path)
        var script = EventScript()
        for _ in 0..<20 { script.session(chargingSeconds: 120, idleSeconds: 10) }
        for event in script.events { try books.record(event) }
        try books.stop(at: script.now)
        try books.ledger.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        // Overwrite a page in the middle of the file, as a failing SD card would.
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 8192)
        handle.write(Data(repeating: 0x5a, count: 4096))
        try handle.close()
        let before = bytes(path)
        #expect { try Ledger(path: path) } throws: { error in
            guard case LedgerError.corrupt = error else { return false }
            return "\(error)".contains("it was not changed")
        }
        #expect(bytes(path) == before)
    }

    @Test func aLedgerFromANewerEvsedIsRefusedAndLeftAlone() throws {
        let path = temporaryLedgerPath()
        do {
            let ledger = try Ledger(path: path, create: true)
            try ledger.database.execute("PRAGMA user_version = 99")
            try ledger.database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let before = bytes(path)
        #expect { try Ledger(path: path) } throws: { error in
            guard case LedgerError.newerVersion(_, let found, let supported) = error else { return false }
            return found == 99 && supported == LedgerSchema.version
        }
        #expect(bytes(path) == before)
    }

    @Test func aKeyOfAnotherLedgerIsRefused() throws {
        let first = temporaryLedgerPath(), second = temporaryLedgerPath()
        _ = try Ledger(path: first, create: true)
        _ = try Ledger(path: second, create: true)
        try FileManager.default.removeItem(atPath: Ledger.keyPath(for: second))
        try FileManager.default.copyItem(atPath: Ledger.keyPath(for: first), toPath: Ledger.keyPath(for: second))
        #expect { try Ledger(path: second) } throws: { "\($0)".contains("does not belong to this ledger") }
    }
}
