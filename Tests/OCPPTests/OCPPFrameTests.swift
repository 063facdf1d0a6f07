import Testing
@testable import OCPP
import Sessions

struct OCPPFrameTests {
    @Test func framesReadAndWriteAsOCPPJSaysAndAnswersKeepTheirId() throws {
        let call = try OCPPFrame(parsing: #"[2, "19223201", "BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}]"#)
        guard case .call(let id, let action, let payload) = call else { Issue.record("not a call: \(call)"); return }
        #expect(id == "19223201" && action == "BootNotification")
        let boot = try payload.decode(OCPP16.BootNotificationRequest.self)
        #expect(boot.chargePointVendor == "VendorX" && boot.chargePointModel == "SingleSocketCharger" && boot.firmwareVersion == nil)
        #expect(OCPPFrame.result(id: "7", payload: .empty).text == #"[3,"7",{}]"#)
        #expect(OCPPFrame.error(id: "7", code: .notSupported, description: "no", details: .empty).text == #"[4,"7","NotSupported","no",{}]"#)
        let again = try OCPPFrame(parsing: call.text)
        #expect(again == call)
    }

    @Test(arguments: [
        ("", nil as String?, OCPPErrorCode.formationViolation),
        ("{}", nil, .formationViolation),
        ("[2]", nil, .formationViolation),
        (#"[2, 5, "Heartbeat", {}]"#, nil, .formationViolation),
        (#"[2, "", "Heartbeat", {}]"#, nil, .formationViolation),
        (#"[2, "0123456789012345678901234567890123456", "Heartbeat", {}]"#, nil, .formationViolation),
        (#"[2, "a", "Heartbeat", []]"#, "a", .formationViolation),
        (#"[2, "a", 7, {}]"#, "a", .formationViolation),
        (#"[9, "a", {}]"#, nil, .formationViolation),
        (#"[2, "a", "Heartbeat"]"#, "a", .formationViolation),
    ])
    func whatIsNotAFrameSaysWhyAndWhichCallToAnswer(text: String, id: String?, code: OCPPErrorCode) {
        #expect(throws: OCPPFrameError.self) { try OCPPFrame(parsing: text) }
        do { _ = try OCPPFrame(parsing: text) } catch {
            #expect(error.id == id && error.code == code, "\(text): \(error)")
        }
    }

    @Test func aPayloadThatIsNotTheMessageGetsTheCodeOCPPJGivesIt() throws {
        func code(_ json: String) -> OCPPErrorCode? {
            do { _ = try JSONValue(parsing: json)!.decode(OCPP16.RemoteStopTransactionRequest.self) } catch { return error.code }
            return nil
        }
        #expect(code(#"{"transactionId": 5}"#) == nil)
        #expect(code(#"{}"#) == .occurenceConstraintViolation)
        #expect(code(#"{"transactionId": "5"}"#) == .typeConstraintViolation)
        #expect(code(#"{"transactionId": 5.5}"#) == .typeConstraintViolation)
        do { _ = try JSONValue(parsing: #"{"type": "Sometimes"}"#)!.decode(OCPP16.ResetRequest.self) } catch {
            #expect(error.code == .propertyConstraintViolation)
        }
    }

    @Test func numbersSurviveTheTripThroughAJSONValue() throws {
        let value = try #require(JSONValue(parsing: #"{"a": 9007199254740993, "b": 1.5, "c": -0, "d": [true, null, "x"]}"#))
        guard case .object(let fields) = value else { Issue.record("not an object"); return }
        #expect(fields["a"] == .integer(9_007_199_254_740_993))
        #expect(fields["b"] == .double(1.5))
        #expect(fields["d"] == .array([.bool(true), .null, .string("x")]))
        #expect(JSONValue(parsing: value.text) == value)
    }
}

struct OCPPDateTimeTests {
    /// A plain reference: days since 1970 by counting, for a handful of dates.
    static func reference(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64 {
        var days = 0
        for y in 1970..<year { days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365 }
        let lengths = [31, (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for m in 0..<(month - 1) { days += lengths[m] }
        days += day - 1
        return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1000
    }

    @Test func everyOffsetAndFractionIsReadToTheMillisecond() {
        let base = Self.reference(2026, 12, 6, 13, 32, 26)
        #expect(OCPPDateTime.parse("2026-12-06T13:32:26Z")?.milliseconds == base)
        #expect(OCPPDateTime.parse("2026-12-06T13:32:26.491302+00:00")?.milliseconds == base + 491)
        #expect(OCPPDateTime.parse("2026-12-06T13:32:26.5Z")?.milliseconds == base + 500)
        #expect(OCPPDateTime.parse("2026-12-06T19:02:26+05:30")?.milliseconds == base)
        #expect(OCPPDateTime.parse("2026-12-06T08:32:26-05:00")?.milliseconds == base)
        #expect(OCPPDateTime.parse("2024-02-29T00:00:00Z")?.milliseconds == Self.reference(2024, 2, 29, 0, 0, 0))
        for bad in ["", "2026-12-06", "2026-12-06T13:32:26", "2026-02-30T00:00:00Z", "2026-12-06T24:00:00Z", "2026-12-06T13:32:26.Z",
                    "2026-12-06T13:32:26+0100", "2026-12-06T13:32:26Zjunk", "２０２６-12-06T13:32:26Z"] {
            #expect(OCPPDateTime.parse(bad) == nil, "\(bad)")
        }
        let written = OCPPDateTime.text(Timestamp(milliseconds: base + 7))
        #expect(written == "2026-12-06T13:32:26.007Z" && OCPPDateTime.parse(written)?.milliseconds == base + 7)
    }
}

struct ClockAlignedTimeTests {
    /// The plain reference: walk the day's grid from midnight until past `time`.
    static func reference(after time: Int64, interval: Int) -> Int64 {
        let midnight = time - time % 86_400_000
        var candidate = midnight
        while candidate <= time { candidate += Int64(interval) * 1000 }
        return min(candidate, midnight + 86_400_000)
    }

    @Test func theNextAlignedTimeIsOnTheDaysGridAfterNow() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let time = Int64.random(in: 1_600_000_000_000...1_900_000_000_000, using: &generator)
            let interval = [1, 60, 300, 900, 3600, 7, 86_400, 50_000].randomElement(using: &generator)!
            #expect(ChargePoint.nextAlignedTime(after: Timestamp(milliseconds: time), interval: interval).milliseconds
                    == Self.reference(after: time, interval: interval), "\(time) every \(interval) s")
        }
        // On a boundary, the next one.
        #expect(ChargePoint.nextAlignedTime(after: Timestamp(milliseconds: 1_800_000_900_000), interval: 900).milliseconds == 1_800_001_800_000)
    }
}
