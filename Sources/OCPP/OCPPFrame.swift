import FoundationEssentials

/// Any JSON value: the payload of a frame before it is read as a message.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Reads JSON text; nil when it is not JSON.
    public init?(parsing text: String) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        self = value
    }

    /// The empty object, `{}`.
    public static let empty = JSONValue.object([:])
}

/// One OCPP-J message on the wire (OCPP-J 1.6 §4): a CALL, its CALLRESULT or its CALLERROR.
public enum OCPPFrame: Equatable, Sendable {
    case call(id: String, action: String, payload: JSONValue)
    case result(id: String, payload: JSONValue)
    case error(id: String, code: OCPPErrorCode, description: String, details: JSONValue)

    /// The message id: the CALL's, which its answer repeats.
    public var id: String {
        switch self {
        case .call(let id, _, _), .result(let id, _), .error(let id, _, _, _): return id
        }
    }

    /// Reads a frame. A text that is not a frame at all throws `nil`-id errors; a CALL whose
    /// payload is not an object throws with its id, so that it can be answered with a CALLERROR.
    public init(parsing text: String) throws(OCPPFrameError) {
        guard let value = JSONValue(parsing: text) else {
            throw OCPPFrameError(id: nil, code: .formationViolation, description: "not JSON")
        }
        guard case .array(let items) = value, items.count >= 3, case .integer(let type) = items[0], case .string(let id) = items[1] else {
            throw OCPPFrameError(id: nil, code: .formationViolation, description: "not an OCPP-J frame ([type, id, ...])")
        }
        guard !id.isEmpty, id.utf8.count <= 36 else {
            throw OCPPFrameError(id: nil, code: .formationViolation, description: "a message id has 1 to 36 characters")
        }
        switch (type, items.count) {
        case (2, 4):
            guard case .string(let action) = items[2] else {
                throw OCPPFrameError(id: id, code: .formationViolation, description: "a CALL's action is a string")
            }
            guard case .object = items[3] else {
                throw OCPPFrameError(id: id, code: .formationViolation, description: "a CALL's payload is an object")
            }
            self = .call(id: id, action: action, payload: items[3])
        case (3, 3):
            self = .result(id: id, payload: items[2])
        case (4, 5):
            guard case .string(let code) = items[2], case .string(let description) = items[3] else {
                throw OCPPFrameError(id: nil, code: .formationViolation, description: "a CALLERROR's code and description are strings")
            }
            self = .error(id: id, code: OCPPErrorCode(rawValue: code) ?? .genericError, description: description, details: items[4])
        default:
            throw OCPPFrameError(id: type == 2 ? id : nil, code: .formationViolation, description: "message type \(type) with \(items.count) elements")
        }
    }

    /// The frame as JSON text.
    public var text: String {
        let items: [JSONValue]
        switch self {
        case .call(let id, let action, let payload): items = [.integer(2), .string(id), .string(action), payload]
        case .result(let id, let payload): items = [.integer(3), .string(id), payload]
        case .error(let id, let code, let description, let details):
            items = [.integer(4), .string(id), .string(code.rawValue), .string(description), details]
        }
        return JSONValue.array(items).text
    }
}

extension JSONValue {
    /// The value as compact JSON.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail: every case is a JSON value (a non-finite double is
        // refused by the encoder, and never built: readings are checked before they get here).
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A payload read as message `T`; a mismatch is the CALLERROR code OCPP-J gives it.
    public func decode<T: Decodable>(_ type: T.Type) throws(OCPPFrameError) -> T {
        do {
            return try T(from: JSONValueDecoder(value: self, codingPath: []))
        } catch let error as DecodingError {
            throw OCPPFrameError(decoding: error)
        } catch {
            throw OCPPFrameError(id: nil, code: .formationViolation, description: "\(error)")
        }
    }

    /// A message as a payload.
    public static func encoding<T: Encodable>(_ message: T) -> JSONValue {
        guard let data = try? JSONEncoder().encode(message), let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            preconditionFailure("an OCPP message type that does not encode as JSON: \(T.self)")
        }
        return value
    }
}

/// OCPP-J 1.6's CALLERROR codes (§4.2.3; "Occurence" is the specification's spelling).
public enum OCPPErrorCode: String, Sendable, Equatable {
    case notImplemented = "NotImplemented"
    case notSupported = "NotSupported"
    case internalError = "InternalError"
    case protocolError = "ProtocolError"
    case securityError = "SecurityError"
    case formationViolation = "FormationViolation"
    case propertyConstraintViolation = "PropertyConstraintViolation"
    case occurenceConstraintViolation = "OccurenceConstraintViolation"
    case typeConstraintViolation = "TypeConstraintViolation"
    case genericError = "GenericError"
}

/// A frame or payload that cannot be read, with the CALLERROR that answers it.
public struct OCPPFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The CALL's id when there is one to answer.
    public var id: String?
    public var code: OCPPErrorCode
    public var description: String

    public init(id: String?, code: OCPPErrorCode, description: String) {
        self.id = id
        self.code = code
        self.description = description
    }

    init(decoding error: DecodingError) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context):
            self.init(id: nil, code: .typeConstraintViolation, description: "\(path(context)): wrong type")
        case .valueNotFound(_, let context):
            self.init(id: nil, code: .occurenceConstraintViolation, description: "\(path(context)): missing")
        case .keyNotFound(let key, let context):
            let field = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            self.init(id: nil, code: .occurenceConstraintViolation, description: "\(field): required")
        case .dataCorrupted(let context):
            self.init(id: nil, code: .propertyConstraintViolation, description: "\(path(context)): \(context.debugDescription)")
        @unknown default:
            self.init(id: nil, code: .formationViolation, description: "\(error)")
        }
    }
}
