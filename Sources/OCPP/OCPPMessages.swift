/// The OCPP 1.6 Core messages evsed sends and answers, as their JSON payloads (OCPP 1.6 §6).
/// Field names are the specification's; optional fields are optionals.
public enum OCPP16 {
    // MARK: Charge point → central system

    public struct BootNotificationRequest: Codable, Equatable, Sendable {
        public var chargePointVendor: String
        public var chargePointModel: String
        public var chargePointSerialNumber: String?
        public var firmwareVersion: String?
        public var meterType: String?
        public var meterSerialNumber: String?
    }

    public struct BootNotificationResponse: Codable, Equatable, Sendable {
        public enum Status: String, Codable, Sendable { case Accepted, Pending, Rejected }
        public var status: Status
        public var currentTime: String
        /// Seconds: the heartbeat interval when accepted, the wait before the next boot otherwise.
        public var interval: Int
    }

    public struct HeartbeatRequest: Codable, Equatable, Sendable {}
    public struct HeartbeatResponse: Codable, Equatable, Sendable {
        public var currentTime: String
    }

    public struct StatusNotificationRequest: Codable, Equatable, Sendable {
        public var connectorId: Int
        public var errorCode: String
        public var info: String?
        public var status: String
        public var timestamp: String?
        public var vendorId: String?
        public var vendorErrorCode: String?
    }
    public struct EmptyResponse: Codable, Equatable, Sendable {}

    /// Whether `text` can be an idTag (IdToken, CiString20): 1 to 20 printable ASCII characters.
    public static func isIdTag(_ text: String) -> Bool {
        (1...20).contains(text.count) && text.allSatisfy { $0.isASCII && !$0.isWhitespace }
    }

    public struct IdTagInfo: Codable, Equatable, Sendable {
        public enum Status: String, Codable, Sendable { case Accepted, Blocked, Expired, Invalid, ConcurrentTx }
        public var status: Status
        public var expiryDate: String?
        public var parentIdTag: String?
    }

    public struct AuthorizeRequest: Codable, Equatable, Sendable {
        public var idTag: String
    }
    public struct AuthorizeResponse: Codable, Equatable, Sendable {
        public var idTagInfo: IdTagInfo
    }

    public struct StartTransactionRequest: Codable, Equatable, Sendable {
        public var connectorId: Int
        public var idTag: String
        public var meterStart: Int64
        public var reservationId: Int?
        public var timestamp: String
    }
    public struct StartTransactionResponse: Codable, Equatable, Sendable {
        public var idTagInfo: IdTagInfo
        public var transactionId: Int64
    }

    public struct SampledValue: Codable, Equatable, Sendable {
        public var value: String
        public var context: String?
        public var format: String?
        public var measurand: String?
        public var phase: String?
        public var location: String?
        public var unit: String?
    }
    public struct MeterValue: Codable, Equatable, Sendable {
        public var timestamp: String
        public var sampledValue: [SampledValue]
    }
    public struct MeterValuesRequest: Codable, Equatable, Sendable {
        public var connectorId: Int
        public var transactionId: Int64?
        public var meterValue: [MeterValue]
    }

    public struct StopTransactionRequest: Codable, Equatable, Sendable {
        public var idTag: String?
        public var meterStop: Int64
        public var timestamp: String
        public var transactionId: Int64
        public var reason: String?
        public var transactionData: [MeterValue]?
    }
    public struct StopTransactionResponse: Codable, Equatable, Sendable {
        public var idTagInfo: IdTagInfo?
    }

    // MARK: Central system → charge point

    public struct RemoteStartTransactionRequest: Codable, Equatable, Sendable {
        public var connectorId: Int?
        public var idTag: String
    }
    public struct RemoteStopTransactionRequest: Codable, Equatable, Sendable {
        public var transactionId: Int64
    }
    /// Accepted / Rejected, the answer of several requests.
    public struct StatusResponse: Codable, Equatable, Sendable {
        public var status: String
    }
    public struct ResetRequest: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable { case Hard, Soft }
        public var type: Kind
    }
    public struct ChangeAvailabilityRequest: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, Sendable { case Inoperative, Operative }
        public var connectorId: Int
        public var type: Kind
    }
    public struct UnlockConnectorRequest: Codable, Equatable, Sendable {
        public var connectorId: Int
    }
    public struct GetConfigurationRequest: Codable, Equatable, Sendable {
        public var key: [String]?
    }
    public struct KeyValue: Codable, Equatable, Sendable {
        public var key: String
        public var readonly: Bool
        public var value: String?
    }
    public struct GetConfigurationResponse: Codable, Equatable, Sendable {
        public var configurationKey: [KeyValue]?
        public var unknownKey: [String]?
    }
    public struct ChangeConfigurationRequest: Codable, Equatable, Sendable {
        public var key: String
        public var value: String
    }
    public struct DataTransferRequest: Codable, Equatable, Sendable {
        public var vendorId: String
        public var messageId: String?
        public var data: String?
    }
    public struct DataTransferResponse: Codable, Equatable, Sendable {
        public var status: String
        public var data: String?
    }

    public struct TriggerMessageRequest: Codable, Equatable, Sendable {
        public var requestedMessage: String
        public var connectorId: Int?
    }

    public struct AuthorizationData: Codable, Equatable, Sendable {
        public var idTag: String
        public var idTagInfo: IdTagInfo?
    }

    public struct SendLocalListRequest: Codable, Equatable, Sendable {
        public enum Update: String, Codable, Sendable { case Differential, Full }
        public var listVersion: Int
        public var localAuthorizationList: [AuthorizationData]?
        public var updateType: Update
    }

    public struct GetLocalListVersionResponse: Codable, Equatable, Sendable {
        public var listVersion: Int
    }
}
