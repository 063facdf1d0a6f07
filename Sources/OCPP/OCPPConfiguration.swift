/// The configuration keys a central system reads and changes (OCPP 1.6 §9): the standard keys
/// of the profiles evsed implements, each with its kind, whether it is read-only, and its value.
/// Changed values are kept in the ledger and outlive restarts.
public struct OCPPConfiguration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case boolean
        case integer(ClosedRange<Int>)
        /// A comma-separated list of measurands, from those evsed can measure.
        case measurands
        /// Fixed text (read-only keys).
        case text
    }

    public struct Key: Sendable, Equatable {
        public let name: String
        public let kind: Kind
        public let readOnly: Bool
        public let defaultValue: String
    }

    /// The measurands evsed's meters give (`MeterValuesSampledData` and the rest choose among them).
    public static let measurands = ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "Temperature"]

    /// The keys, in the order GetConfiguration lists them.
    public static let keys: [Key] = [
        Key(name: "AllowOfflineTxForUnknownId", kind: .boolean, readOnly: false, defaultValue: "false"),
        Key(name: "AuthorizationCacheEnabled", kind: .boolean, readOnly: false, defaultValue: "true"),
        // A remote start is the central system's own decision: it is not authorized again.
        Key(name: "AuthorizeRemoteTxRequests", kind: .boolean, readOnly: true, defaultValue: "false"),
        Key(name: "ChargeProfileMaxStackLevel", kind: .text, readOnly: true, defaultValue: "8"),
        Key(name: "ChargingScheduleAllowedChargingRateUnit", kind: .text, readOnly: true, defaultValue: "Current,Power"),
        Key(name: "ChargingScheduleMaxPeriods", kind: .text, readOnly: true, defaultValue: "24"),
        Key(name: "ClockAlignedDataInterval", kind: .integer(0...86_400), readOnly: false, defaultValue: "0"),
        Key(name: "ConnectionTimeOut", kind: .integer(1...3600), readOnly: false, defaultValue: "120"),
        Key(name: "ConnectorPhaseRotation", kind: .text, readOnly: true, defaultValue: "0.Unknown,1.Unknown"),
        Key(name: "GetConfigurationMaxKeys", kind: .text, readOnly: true, defaultValue: "50"),
        Key(name: "HeartbeatInterval", kind: .integer(0...86_400), readOnly: false, defaultValue: "300"),
        Key(name: "MaxChargingProfilesInstalled", kind: .text, readOnly: true, defaultValue: "8"),
        Key(name: "LocalAuthListEnabled", kind: .boolean, readOnly: false, defaultValue: "true"),
        Key(name: "LocalAuthListMaxLength", kind: .text, readOnly: true, defaultValue: "1000"),
        Key(name: "LocalAuthorizeOffline", kind: .boolean, readOnly: false, defaultValue: "true"),
        Key(name: "LocalPreAuthorize", kind: .boolean, readOnly: false, defaultValue: "false"),
        Key(name: "MeterValuesAlignedData", kind: .measurands, readOnly: false, defaultValue: "Energy.Active.Import.Register"),
        Key(name: "MeterValuesSampledData", kind: .measurands, readOnly: false,
            defaultValue: "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"),
        Key(name: "MeterValueSampleInterval", kind: .integer(0...86_400), readOnly: false, defaultValue: "60"),
        Key(name: "NumberOfConnectors", kind: .text, readOnly: true, defaultValue: "1"),
        // A reset is not retried: evsed restarts itself, and a restart that fails is systemd's to retry.
        Key(name: "ResetRetries", kind: .text, readOnly: true, defaultValue: "0"),
        Key(name: "SendLocalListMaxLength", kind: .text, readOnly: true, defaultValue: "100"),
        Key(name: "StopTransactionOnEVSideDisconnect", kind: .boolean, readOnly: true, defaultValue: "true"),
        Key(name: "StopTransactionOnInvalidId", kind: .boolean, readOnly: false, defaultValue: "true"),
        // No meter values travel in a StopTransaction's transactionData yet (the signed record will).
        // Not one of OCPP 1.6's keys, but the one German calibration law chargers use to say how
        // the StopTransaction's SignedData is written.
        Key(name: "StopTransactionSignatureFormat", kind: .text, readOnly: true, defaultValue: "OCMF"),
        Key(name: "StopTxnAlignedData", kind: .text, readOnly: true, defaultValue: ""),
        Key(name: "StopTxnSampledData", kind: .text, readOnly: true, defaultValue: ""),
        Key(name: "SupportedFeatureProfiles", kind: .text, readOnly: true, defaultValue: "Core,LocalAuthListManagement,SmartCharging,RemoteTrigger"),
        Key(name: "TransactionMessageAttempts", kind: .integer(1...100), readOnly: false, defaultValue: "5"),
        Key(name: "TransactionMessageRetryInterval", kind: .integer(1...86_400), readOnly: false, defaultValue: "30"),
        Key(name: "UnlockConnectorOnEVSideDisconnect", kind: .boolean, readOnly: true, defaultValue: "true"),
        Key(name: "WebSocketPingInterval", kind: .integer(0...3600), readOnly: false, defaultValue: "60"),
    ]

    private var values: [String: String]

    /// The defaults, with `stored` (what the central system changed before) on top; stored values
    /// of keys that are unknown or no longer valid are ignored.
    public init(stored: [String: String] = [:]) {
        values = [:]
        for key in Self.keys { values[key.name] = key.defaultValue }
        for (name, value) in stored {
            guard let key = Self.key(name), !key.readOnly, Self.isValid(value, for: key.kind) else { continue }
            values[key.name] = Self.normalized(value, for: key.kind)
        }
    }

    /// The key of `name`; OCPP's keys are matched as written (the specification's names are
    /// case-sensitive, and central systems send them so).
    public static func key(_ name: String) -> Key? { keys.first { $0.name == name } }

    public subscript(_ name: String) -> String? { values[name] }

    /// An integer key's value.
    public func integer(_ name: String) -> Int { values[name].flatMap { Int($0) } ?? 0 }
    public func boolean(_ name: String) -> Bool { values[name] == "true" }
    public func list(_ name: String) -> [String] { (values[name] ?? "").split(separator: ",").map(String.init) }

    /// The result of ChangeConfiguration.
    public enum Change: String, Sendable, Equatable {
        case Accepted, Rejected, RebootRequired, NotSupported
    }

    /// Changes `name` to `value` when the key exists, may be written and the value is valid.
    public mutating func change(_ name: String, to value: String) -> Change {
        guard let key = Self.key(name) else { return .NotSupported }
        guard !key.readOnly, Self.isValid(value, for: key.kind) else { return .Rejected }
        values[name] = Self.normalized(value, for: key.kind)
        return .Accepted
    }

    static func isValid(_ value: String, for kind: Kind) -> Bool {
        switch kind {
        case .boolean: return ["true", "false"].contains(value.lowercased())
        case .integer(let range): return Int(value).map(range.contains) ?? false
        case .measurands:
            return value.isEmpty || value.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { measurands.contains(String($0)) }
        case .text: return false
        }
    }

    static func normalized(_ value: String, for kind: Kind) -> String {
        kind == .boolean ? value.lowercased() : value
    }
}
