/// One line of a bill: a dimension at one component's price.
public struct BillLine: Hashable, Sendable {
    public var dimension: TariffDimension
    /// The element of the tariff (its index) that priced it.
    public var element: Int
    public var component: PriceComponent
    /// What was measured, in Wh, seconds or sessions.
    public var measuredQuantity: Int64
    /// What is billed: the measured quantity, with the step size's remainder where it landed here.
    public var quantity: Int64
    public var excludingVAT: ExactAmount
    public var vat: ExactAmount
    public var includingVAT: ExactAmount { excludingVAT + vat }
}

/// Session time the owner does not pay for, because the charger could not charge.
public struct UnbilledTime: Hashable, Sendable {
    public enum Reason: String, Hashable, Sendable {
        /// A fault, a retry wait, a pause at the console.
        case chargerUnavailable = "CHARGER_UNAVAILABLE"
        /// evsed was not running (a power cut, a restart).
        case chargerDown = "CHARGER_DOWN"
    }

    public var reason: Reason
    public var seconds: Int64

    public init(reason: Reason, seconds: Int64) {
        self.reason = reason
        self.seconds = seconds
    }
}

/// The bill of a session: its lines and totals, each total rounded once to the currency's minor
/// unit, an exact half away from zero.
public struct Bill: Hashable, Sendable {
    /// The change the tariff's minimum or maximum price made to the totals.
    public struct Adjustment: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable {
            case minimum = "MIN_PRICE"
            case maximum = "MAX_PRICE"
        }

        public var kind: Kind
        public var excludingVAT: ExactAmount
        public var includingVAT: ExactAmount
    }

    public var currency: Currency
    public var lines: [BillLine]
    public var unbilled: [UnbilledTime]
    /// The minimum or maximum price's change to the totals, excluding and including VAT.
    public var adjustments: [Adjustment]
    /// The exact totals after the minimum and maximum price.
    public var exactExcludingVAT: ExactAmount
    public var exactIncludingVAT: ExactAmount
    public var totalExcludingVAT: Money
    public var totalIncludingVAT: Money
    /// The two rounded totals' difference, so the bill adds up to the cent.
    public var totalVAT: Money { Money(totalIncludingVAT.amount - totalExcludingVAT.amount, currency) }

    /// The bill of `lines`: the totals excluding and including VAT are each kept within the
    /// tariff's minimum and maximum (OCPI: both apply), then rounded.
    public init(currency: Currency, lines: [BillLine], unbilled: [UnbilledTime], minimum: PriceLimit?, maximum: PriceLimit?) {
        self.currency = currency
        self.lines = lines
        self.unbilled = unbilled
        let excluding = lines.reduce(ExactAmount.zero) { $0 + $1.excludingVAT }
        let including = lines.reduce(ExactAmount.zero) { $0 + $1.includingVAT }
        var clampedExcluding = excluding, clampedIncluding = including
        if let minimum {
            clampedExcluding = max(clampedExcluding, minimum.excludingVAT)
            clampedIncluding = max(clampedIncluding, minimum.includingVAT)
        }
        var adjustments: [Adjustment] = []
        if clampedExcluding != excluding || clampedIncluding != including {
            adjustments.append(Adjustment(kind: .minimum, excludingVAT: clampedExcluding - excluding, includingVAT: clampedIncluding - including))
        }
        if let maximum {
            let (beforeExcluding, beforeIncluding) = (clampedExcluding, clampedIncluding)
            clampedExcluding = min(clampedExcluding, maximum.excludingVAT)
            clampedIncluding = min(clampedIncluding, maximum.includingVAT)
            if clampedExcluding != beforeExcluding || clampedIncluding != beforeIncluding {
                adjustments.append(Adjustment(kind: .maximum, excludingVAT: clampedExcluding - beforeExcluding,
                                              includingVAT: clampedIncluding - beforeIncluding))
            }
        }
        self.adjustments = adjustments
        exactExcludingVAT = clampedExcluding
        exactIncludingVAT = clampedIncluding
        totalExcludingVAT = clampedExcluding.rounded(currency)
        totalIncludingVAT = clampedIncluding.rounded(currency)
    }

    /// The bill as rows of text: the one rendering every view of a bill (the ledger, `ledger
    /// show`, the event log, the owner's alert, the export) is made from.
    public var rows: [BillRow] {
        var rows = lines.map { line in
            let excluding = line.excludingVAT.rounded(currency), including = line.includingVAT.rounded(currency)
            return BillRow(
                kind: line.dimension.rawValue, quantity: BillRow.quantity(line.quantity, of: line.dimension),
                unit: BillRow.unit(of: line.dimension), unitPrice: line.component.priceText, vatPercent: line.component.vatText ?? "",
                excludingVAT: excluding.plainText, vat: Money(including.amount - excluding.amount, currency).plainText,
                includingVAT: including.plainText)
        }
        let zero = Money.zero(currency).plainText
        for time in unbilled {
            rows.append(BillRow(kind: time.reason.rawValue, quantity: String(time.seconds), unit: "s", unitPrice: zero, vatPercent: "",
                                excludingVAT: zero, vat: zero, includingVAT: zero))
        }
        for adjustment in adjustments {
            let excluding = adjustment.excludingVAT.rounded(currency), including = adjustment.includingVAT.rounded(currency)
            rows.append(BillRow(kind: adjustment.kind.rawValue, quantity: "1", unit: "", unitPrice: excluding.plainText, vatPercent: "",
                                excludingVAT: excluding.plainText, vat: Money(including.amount - excluding.amount, currency).plainText,
                                includingVAT: including.plainText))
        }
        return rows
    }
}

/// One row of a bill as text: exact quantities (kWh with three decimals, whole seconds), prices
/// as the tariff wrote them, amounts rounded to the minor unit.
public struct BillRow: Hashable, Sendable {
    /// `ENERGY`, `TIME`, `PARKING_TIME`, `FLAT`; `CHARGER_UNAVAILABLE`, `CHARGER_DOWN` (time at
    /// no charge); `MIN_PRICE`, `MAX_PRICE` (the adjustment).
    public var kind: String
    public var quantity: String
    /// `kWh`, `s`, `session`, or empty for an adjustment.
    public var unit: String
    /// Excluding VAT, per kWh, per hour or per session.
    public var unitPrice: String
    /// Empty when no VAT applies.
    public var vatPercent: String
    public var excludingVAT: String
    public var vat: String
    public var includingVAT: String

    public init(kind: String, quantity: String, unit: String, unitPrice: String, vatPercent: String, excludingVAT: String, vat: String,
                includingVAT: String) {
        self.kind = kind
        self.quantity = quantity
        self.unit = unit
        self.unitPrice = unitPrice
        self.vatPercent = vatPercent
        self.excludingVAT = excludingVAT
        self.vat = vat
        self.includingVAT = includingVAT
    }

    /// Energy as exact kWh ("4.454"), time as whole seconds, sessions as a count.
    static func quantity(_ quantity: Int64, of dimension: TariffDimension) -> String {
        dimension == .energy ? FixedDecimal.text(quantity, places: 3, minimumPlaces: 3) : String(quantity)
    }

    static func unit(of dimension: TariffDimension) -> String {
        switch dimension {
        case .energy: return "kWh"
        case .time, .parkingTime: return "s"
        case .flat: return "session"
        }
    }

    /// Whether the row prices something (rather than showing free time or an adjustment).
    public var isPriced: Bool { TariffDimension(rawValue: kind) != nil }
}
