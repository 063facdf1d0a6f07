/// The stable code of a fault. Codes end up in the ledger, in alerts and in OCPP messages: once a
/// code is released it is never renamed or reused.
public enum FaultCode: String, CaseIterable, Hashable, Sendable, Comparable, CustomStringConvertible {
    case diodeMissing = "diode_missing"
    case pilotShorted = "pilot_shorted"
    case pilotUnknown = "pilot_unknown"
    case residualCurrent = "residual_current"
    case residualCurrentSelfTestFailed = "rcm_self_test_failed"
    case contactorWelded = "contactor_welded"
    case contactorFailedToClose = "contactor_failed_to_close"
    case overcurrent = "overcurrent"
    case overvoltage = "overvoltage"
    case undervoltage = "undervoltage"
    case overtemperature = "overtemperature"
    case meterLost = "meter_lost"
    case ventilationUnavailable = "ventilation_unavailable"
    case controlLoopOverrun = "control_loop_overrun"
    case hardwareIOError = "hardware_io_error"
    case connectorLock = "connector_lock"
    case eventsLost = "events_lost"
    case ledgerWriteFailed = "ledger_write_failed"

    /// The short number shown on a display or read out over the phone ("F07").
    public var number: Int {
        switch self {
        case .diodeMissing: return 1
        case .pilotShorted: return 2
        case .pilotUnknown: return 3
        case .residualCurrent: return 4
        case .residualCurrentSelfTestFailed: return 5
        case .contactorWelded: return 6
        case .contactorFailedToClose: return 7
        case .overcurrent: return 8
        case .overvoltage: return 9
        case .undervoltage: return 10
        case .overtemperature: return 11
        case .meterLost: return 12
        case .ventilationUnavailable: return 13
        case .controlLoopOverrun: return 14
        case .hardwareIOError: return 15
        case .connectorLock: return 16
        case .eventsLost: return 17
        case .ledgerWriteFailed: return 18
        }
    }

    /// Every code, in code order: computed once (the synthesized `allCases` builds a new array at
    /// each access, which the control loop must not do).
    public static let all: [FaultCode] = allCases

    /// "F04" and the like.
    public var displayCode: String { number < 10 ? "F0\(number)" : "F\(number)" }

    /// The bit of this code in a `FaultSet`.
    var bit: UInt32 { 1 << UInt32(number) }

    public static func < (lhs: FaultCode, rhs: FaultCode) -> Bool { lhs.number < rhs.number }

    public var description: String { rawValue }
}

/// A set of fault codes, stored in one word so that the control loop can copy it without allocating.
public struct FaultSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    private var bits: UInt32 = 0

    public init() {}

    public init(_ codes: [FaultCode]) {
        for code in codes { insert(code) }
    }

    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }
    public func contains(_ code: FaultCode) -> Bool { bits & code.bit != 0 }
    public mutating func insert(_ code: FaultCode) { bits |= code.bit }
    public mutating func remove(_ code: FaultCode) { bits &= ~code.bit }

    /// The first code in code order, if any.
    public var first: FaultCode? {
        var iterator = makeIterator()
        return iterator.next()
    }

    public func makeIterator() -> Iterator { Iterator(bits: bits) }

    /// Walks the set in code order without allocating.
    public struct Iterator: IteratorProtocol {
        var bits: UInt32
        var index = 0

        public mutating func next() -> FaultCode? {
            let all = FaultCode.all
            while index < all.count {
                let code = all[index]
                index += 1
                if bits & code.bit != 0 { return code }
            }
            return nil
        }
    }

    public var description: String {
        isEmpty ? "none" : map(\.rawValue).joined(separator: ", ")
    }
}
