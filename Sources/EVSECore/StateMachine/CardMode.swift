/// Whether a card is needed to charge (the board's `[cards] mode`, or the site setting `card_mode`).
public enum CardMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A session starts when a car plugs in and belongs to the default owner; a known card tapped
    /// before the car plugs in names the owner (and card) of its session.
    case free
    /// A session starts only with a card the charger accepts; it belongs to the card's owner and
    /// ends when the car stops or leaves (a card tapped meanwhile does not stop it).
    case card
    /// As `card`, and the same card tapped again stops the session; any other card is refused.
    case sameCard = "same_card"

    public var description: String { rawValue }

    /// Whether a session waits for a card (the board's `start_on_plug_in` does not apply).
    public var needsCard: Bool { self != .free }
}
