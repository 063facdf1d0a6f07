import ChargerService
import EVSECore
import Ledger
import Sessions

/// What the central system asks of the charge point (OCPP 1.6 §5), answered at once.
extension ChargePoint {
    /// Recognised OCPP 1.6 actions of the profiles evsed does not implement yet.
    static let notSupported: Set<String> = [
        "CancelReservation", "ReserveNow", "GetDiagnostics", "UpdateFirmware",
    ]

    func answer(_ action: String, _ payload: JSONValue, at now: Instant) throws(OCPPFrameError) -> JSONValue {
        let open = openSession.map { Int64($0.rawValue) }
        switch action {
        case "RemoteStartTransaction":
            let request = try payload.decode(OCPP16.RemoteStartTransactionRequest.self)
            try checkIdTag(request.idTag)
            guard request.connectorId.map({ $0 == 1 }) ?? true, open == nil, registration == .accepted else {
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            // A car not connected yet has ConnectionTimeOut to come: its session takes the idTag.
            nextIdTag = (request.idTag, now + .seconds(configuration.integer("ConnectionTimeOut")), false)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "RemoteStopTransaction":
            let request = try payload.decode(OCPP16.RemoteStopTransactionRequest.self)
            let session = try? ledger.ocppSession(transactionId: request.transactionId)
            guard let open, session == open else { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
            stopping(open, because: "Remote")
            hooks.command(.stopSession)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "Reset":
            let request = try payload.decode(OCPP16.ResetRequest.self)
            let hard = request.type == .Hard
            if let open {
                stopping(open, because: hard ? "HardReset" : "SoftReset")
                pendingReset = (hard, open)
                hooks.command(.stopSession)
            } else {
                hooks.restart(hard)
            }
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "ChangeAvailability":
            let request = try payload.decode(OCPP16.ChangeAvailabilityRequest.self)
            guard request.connectorId == 0 || request.connectorId == 1 else { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
            switch request.type {
            case .Operative:
                inoperativeScheduled = false
                hooks.command(.enable)
                return .encoding(OCPP16.StatusResponse(status: "Accepted"))
            case .Inoperative:
                if open != nil {
                    inoperativeScheduled = true
                    return .encoding(OCPP16.StatusResponse(status: "Scheduled"))
                }
                hooks.command(.disable)
                return .encoding(OCPP16.StatusResponse(status: "Accepted"))
            }
        case "UnlockConnector":
            let request = try payload.decode(OCPP16.UnlockConnectorRequest.self)
            guard request.connectorId == 1 else { return .encoding(OCPP16.StatusResponse(status: "NotSupported")) }
            if let open {
                stopping(open, because: "UnlockCommand")
                hooks.command(.stopSession)
            }
            // The lock (where the board has one) opens when the session ends; a tethered cable has none.
            return .encoding(OCPP16.StatusResponse(status: "Unlocked"))
        case "GetConfiguration":
            let request = try payload.decode(OCPP16.GetConfigurationRequest.self)
            let wanted = request.key ?? OCPPConfiguration.keys.map(\.name)
            var known: [OCPP16.KeyValue] = []
            var unknown: [String] = []
            for name in wanted {
                if let key = OCPPConfiguration.key(name) {
                    known.append(OCPP16.KeyValue(key: key.name, readonly: key.readOnly, value: configuration[key.name]))
                } else {
                    unknown.append(name)
                }
            }
            return .encoding(OCPP16.GetConfigurationResponse(configurationKey: known, unknownKey: unknown.isEmpty ? nil : unknown))
        case "ChangeConfiguration":
            let request = try payload.decode(OCPP16.ChangeConfigurationRequest.self)
            let result = configuration.change(request.key, to: request.value)
            if result == .Accepted {
                queue { () throws(LedgerError) in try ledger.setOCPPConfiguration(request.key, configuration[request.key] ?? request.value) }
                if request.key == "HeartbeatInterval" { heartbeatInterval = .seconds(configuration.integer("HeartbeatInterval")) }
                if request.key == "MeterValueSampleInterval", open != nil { nextSampleAt = now + sampleInterval }
                if request.key == "ClockAlignedDataInterval" { nextAlignedAt = nil }
                hooks.log("ocpp: the central system set \(request.key) = \(request.value)", false)
            }
            return .encoding(OCPP16.StatusResponse(status: result.rawValue))
        case "SetChargingProfile":
            let request = try payload.decode(OCPP16.SetChargingProfileRequest.self)
            let limits = (stack: configuration.integer("ChargeProfileMaxStackLevel"), periods: configuration.integer("ChargingScheduleMaxPeriods"),
                          installed: configuration.integer("MaxChargingProfilesInstalled"))
            guard request.csChargingProfiles.stackLevel <= limits.stack,
                  request.csChargingProfiles.chargingSchedule.chargingSchedulePeriod.count <= limits.periods else {
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            var changed = profiles
            do throws(ChargingProfiles.Refusal) {
                try changed.install(request.csChargingProfiles, connector: request.connectorId, transaction: currentTransaction)
            } catch {
                if case .invalid(let why) = error { hooks.log("ocpp: charging profile \(request.csChargingProfiles.chargingProfileId) refused: \(why)", false) }
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            guard changed.installed.count <= limits.installed else { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
            profiles = changed
            saveProfiles()
            hooks.log("ocpp: charging profile \(request.csChargingProfiles.chargingProfileId) (\(request.csChargingProfiles.chargingProfilePurpose.rawValue), "
                      + "stack \(request.csChargingProfiles.stackLevel)) installed on connector \(request.connectorId)", false)
            applyProfiles(at: now)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "ClearChargingProfile":
            let request = try payload.decode(OCPP16.ClearChargingProfileRequest.self)
            guard profiles.clear(request) else { return .encoding(OCPP16.StatusResponse(status: "Unknown")) }
            saveProfiles()
            applyProfiles(at: now)
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "GetCompositeSchedule":
            let request = try payload.decode(OCPP16.GetCompositeScheduleRequest.self)
            guard request.connectorId == 0 || request.connectorId == 1, (1...172_800).contains(request.duration) else {
                return .encoding(OCPP16.GetCompositeScheduleResponse(status: "Rejected"))
            }
            let start = wallTime(now)
            let schedule = profiles.composite(from: start, duration: request.duration, unit: request.chargingRateUnit ?? .A,
                                              transaction: currentTransaction, unlimited: charger.maximumCurrent.value)
            return .encoding(OCPP16.GetCompositeScheduleResponse(status: "Accepted", connectorId: request.connectorId,
                                                                 scheduleStart: OCPPDateTime.text(start), chargingSchedule: schedule))
        case "TriggerMessage":
            let request = try payload.decode(OCPP16.TriggerMessageRequest.self)
            switch request.requestedMessage {
            case "BootNotification", "Heartbeat", "MeterValues":
                triggered.append(request.requestedMessage)
            case "StatusNotification":
                if let connector = request.connectorId, connector != 0 && connector != 1 { return .encoding(OCPP16.StatusResponse(status: "Rejected")) }
                for connector in request.connectorId.map({ [$0] }) ?? [0, 1] { statusSent[connector] = nil }
            case "DiagnosticsStatusNotification", "FirmwareStatusNotification":
                return .encoding(OCPP16.StatusResponse(status: "NotImplemented"))
            default:
                throw OCPPFrameError(id: nil, code: .propertyConstraintViolation, description: "requestedMessage: \(request.requestedMessage) is not one of OCPP 1.6's")
            }
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "ClearCache":
            do throws(LedgerError) {
                try ledger.updateOCPPIdTags(local: false, replace: true, [], version: nil)
            } catch {
                return .encoding(OCPP16.StatusResponse(status: "Rejected"))
            }
            return .encoding(OCPP16.StatusResponse(status: "Accepted"))
        case "GetLocalListVersion":
            _ = try payload.decode(OCPP16.EmptyResponse.self)
            return .encoding(OCPP16.GetLocalListVersionResponse(listVersion: (try? ledger.ocppLocalListVersion()) ?? 0))
        case "SendLocalList":
            let request = try payload.decode(OCPP16.SendLocalListRequest.self)
            return .encoding(OCPP16.StatusResponse(status: sendLocalList(request)))
        case "DataTransfer":
            _ = try payload.decode(OCPP16.DataTransferRequest.self)
            return .encoding(OCPP16.DataTransferResponse(status: "UnknownVendorId", data: nil))
        default:
            if Self.notSupported.contains(action) {
                throw OCPPFrameError(id: nil, code: .notSupported, description: "\(action) is not supported by this charge point")
            }
            throw OCPPFrameError(id: nil, code: .notImplemented, description: "unknown action \(action)")
        }
    }

    func checkIdTag(_ tag: String) throws(OCPPFrameError) {
        guard OCPP16.isIdTag(tag) else {
            throw OCPPFrameError(id: nil, code: .propertyConstraintViolation, description: "idTag: 1 to 20 ASCII characters")
        }
    }

    func sendLocalList(_ request: OCPP16.SendLocalListRequest) -> String {
        guard configuration.boolean("LocalAuthListEnabled") else { return "NotSupported" }
        let entries = request.localAuthorizationList ?? []
        guard entries.count <= configuration.integer("SendLocalListMaxLength"),
              entries.allSatisfy({ OCPP16.isIdTag($0.idTag) }), request.listVersion >= 1 else { return "Failed" }
        do throws(LedgerError) {
            let current = try ledger.ocppLocalListVersion()
            if request.updateType == .Differential && request.listVersion <= current { return "VersionMismatch" }
            var tags = request.updateType == .Full ? Set<String>() : Set(try ledger.ocppIdTags(local: true).map(\.idTag))
            for entry in entries { if entry.idTagInfo == nil { tags.remove(entry.idTag) } else { tags.insert(entry.idTag) } }
            guard tags.count <= configuration.integer("LocalAuthListMaxLength") else { return "Failed" }
            try ledger.updateOCPPIdTags(local: true, replace: request.updateType == .Full, entries.map { entry in
                (entry.idTag, entry.idTagInfo.map {
                    Ledger.OCPPIdTag(idTag: entry.idTag, status: $0.status.rawValue, expiry: $0.expiryDate, parent: $0.parentIdTag)
                })
            }, version: request.listVersion)
        } catch {
            hooks.log("ocpp: ledger: \(error)", false)
            return "Failed"
        }
        hooks.log("ocpp: local authorization list version \(request.listVersion) (\(request.updateType.rawValue), \(entries.count) entries)", false)
        return "Accepted"
    }
}
