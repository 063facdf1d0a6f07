#if canImport(Glibc)
import Glibc
#endif
import Runtime
import Testing
import TestSupport

@Suite struct SystemdNotifierTests {
    @Test func readyStatusWatchdogAndStoppingAreDatagrams() throws {
        let socket = try FakeSystemdSocket()
        let notifier = SystemdNotifier(socketPath: socket.path, watchdogTimeout: .seconds(2))
        #expect(notifier.ready(status: "charging\nsession 1"))
        #expect(socket.receive() == "READY=1\nSTATUS=charging session 1")
        #expect(notifier.status("idle"))
        #expect(socket.receive() == "STATUS=idle")
        #expect(notifier.watchdog())
        #expect(socket.receive() == "WATCHDOG=1")
        #expect(notifier.stopping(status: "bye"))
        #expect(socket.receive() == "STOPPING=1\nSTATUS=bye")
    }

    @Test func anAbsentSocketIsReportedNotFatal() {
        let notifier = SystemdNotifier(socketPath: "/nonexistent/notify", watchdogTimeout: nil)
        #expect(!notifier.watchdog())
    }
}

@Suite struct LoopWatchdogTests {
    /// The keep-alive decisions for successive (ticks, overruns) readings.
    func decisions(_ readings: [(Int, Int)]) -> [Bool] {
        var watchdog = LoopWatchdog()
        return readings.map { watchdog.check(ticks: $0.0, overruns: $0.1) }
    }

    @Test func aLoopThatTicksOnTimeIsKeptAlive() {
        #expect(decisions([(10, 0), (60, 1)]) == [true, true])
    }

    @Test func aStuckLoopIsNot() {
        #expect(decisions([(10, 0), (10, 0), (10, 0), (11, 0)]) == [true, false, false, true])
    }

    @Test func aLoopThatIsMostlyLateIsNot() {
        #expect(decisions([(100, 0), (110, 8), (160, 9)]) == [true, false, true])
    }

    @Test func nothingBeforeTheFirstTick() {
        #expect(decisions([(0, 0)]) == [false])
    }
}

@Suite struct JournalWriterTests {
    @Test func anEntryCarriesPriorityIdentifierAndFields() {
        let journal = JournalWriter(socketPath: "/unused")
        let text = String(decoding: journal.datagram(
            message: "fault residual_current\nsecond line", priority: 4,
            fields: [("FAULT_CODE", "residual_current"), ("SESSION_ID", "7"), ("_PID", "1"), ("bad key", "x")]), as: UTF8.self)
        #expect(text == "MESSAGE=fault residual_current second line\nPRIORITY=4\nSYSLOG_IDENTIFIER=evsed\nFAULT_CODE=residual_current\nSESSION_ID=7\n")
    }

    @Test func entriesReachTheSocket() throws {
        let socket = try FakeSystemdSocket()
        let journal = JournalWriter(socketPath: socket.path)
        #expect(journal.send(message: "hello", priority: 6, fields: [("SESSION_ID", "1")]))
        #expect(socket.receive() == "MESSAGE=hello\nPRIORITY=6\nSYSLOG_IDENTIFIER=evsed\nSESSION_ID=1\n")
    }
}
