import ChargerService
import EVSECore
import Ledger
import Sessions

/// Whose session it is: idTags presented at the charger, the central system's answers, the
/// local list and the cache.
extension ChargePoint {
    /// An idTag presented at the charger (a card at the reader, `tap` on the simulated board):
    /// the same idTag as the open session's stops it; otherwise it is authorized — by the central
    /// system, or from the local list and the cache (`LocalPreAuthorize`, or offline with
    /// `LocalAuthorizeOffline`; an unknown one offline with `AllowOfflineTxForUnknownId`) — and
    /// the car's session starts with it.
    public func identify(_ tag: String, at now: Instant) {
        guard OCPP16.isIdTag(tag) else {
            hooks.log("ocpp: '\(tag)' is not an idTag (1 to 20 ASCII characters)", false)
            return
        }
        if let open = openSession {
            let transaction = try? ledger.ocppTransaction(session: Int64(open.rawValue))
            if transaction?.idTag == tag {
                hooks.log("ocpp: idTag \(tag) presented again: stopping session \(open)", false)
                hooks.command(.stopSession)
            } else {
                hooks.log("ocpp: idTag \(tag): session \(open) is open for another idTag", false)
            }
            return
        }
        if connected && registration == .accepted {
            if configuration.boolean("LocalPreAuthorize"), let known = known(tag, at: now), known.status == "Accepted" {
                authorized(tag, at: now, how: "accepted from the \(known.source)")
                return
            }
            authorizeNext = tag
        } else {
            decideOffline(tag, at: now)
        }
    }

    func decideOffline(_ tag: String, at now: Instant) {
        if configuration.boolean("LocalAuthorizeOffline"), let known = known(tag, at: now) {
            if known.status == "Accepted" {
                authorized(tag, at: now, how: "offline, accepted from the \(known.source)")
            } else {
                hooks.log("ocpp: idTag \(tag) refused offline (\(known.status) in the \(known.source))", false)
            }
        } else if known(tag, at: now) == nil, configuration.boolean("AllowOfflineTxForUnknownId") {
            authorized(tag, at: now, how: "offline, unknown idTags allowed (AllowOfflineTxForUnknownId)")
        } else {
            hooks.log("ocpp: idTag \(tag) refused: the central system cannot be asked and the charger does not know it", false)
        }
    }

    func authorized(_ tag: String, at now: Instant, how: String) {
        hooks.log("ocpp: idTag \(tag) \(how)", false)
        nextIdTag = (tag, now + .seconds(configuration.integer("ConnectionTimeOut")), false)
        startForIdTag(at: now)
    }

    /// A car is connected and an idTag waits for it: its session starts.
    func startForIdTag(at now: Instant) {
        guard let next = nextIdTag else { return }
        guard now <= next.until else {
            hooks.log("ocpp: idTag \(next.tag): no car within ConnectionTimeOut", false)
            nextIdTag = nil
            return
        }
        guard !next.started, openSession == nil, let status = lastStatus, [.b, .c, .d].contains(status.pilotLevel) else { return }
        nextIdTag?.started = true
        hooks.startingFor(next.tag)
        hooks.command(.startSession)
    }

    /// What the local list (first) and the cache say of `tag`, unless expired.
    func known(_ tag: String, at now: Instant) -> (status: String, source: String)? {
        let time = wallTime(now)
        let lists = (configuration.boolean("LocalAuthListEnabled") ? [(true, "local list")] : [])
            + (configuration.boolean("AuthorizationCacheEnabled") ? [(false, "authorization cache")] : [])
        for (local, source) in lists {
            guard let entry = try? ledger.ocppIdTag(tag, local: local) else { continue }
            if let expiry = entry.expiry.flatMap(OCPPDateTime.parse), expiry <= time { return ("Expired", source) }
            return (entry.status, source)
        }
        return nil
    }

    /// The central system's answer about `tag`, kept in the cache.
    func remember(_ tag: String, _ info: OCPP16.IdTagInfo) {
        guard configuration.boolean("AuthorizationCacheEnabled") else { return }
        let entry = Ledger.OCPPIdTag(idTag: tag, status: info.status.rawValue, expiry: info.expiryDate, parent: info.parentIdTag)
        queue { () throws(LedgerError) in try ledger.updateOCPPIdTags(local: false, replace: false, [(tag, entry)], version: nil) }
    }
}
