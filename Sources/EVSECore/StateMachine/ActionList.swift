/// The actions produced by one input: a small collection stored inline, so that stepping the state
/// machine in the control loop never allocates.
public struct ActionList: RandomAccessCollection, ExpressibleByArrayLiteral, Hashable, Sendable,
    CustomStringConvertible
{
    /// The most actions one input can produce; exceeding it is a programmer error.
    public static let capacity = 16

    private var storage: (
        ChargerAction?, ChargerAction?, ChargerAction?, ChargerAction?,
        ChargerAction?, ChargerAction?, ChargerAction?, ChargerAction?,
        ChargerAction?, ChargerAction?, ChargerAction?, ChargerAction?,
        ChargerAction?, ChargerAction?, ChargerAction?, ChargerAction?
    ) = (nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
    public private(set) var count = 0

    public init() {}

    public init(arrayLiteral elements: ChargerAction...) {
        for element in elements { append(element) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> ChargerAction {
        get {
            precondition(position >= 0 && position < count, "ActionList index out of range")
            // Borrows the storage: no copy of all sixteen slots to read one.
            return withUnsafePointer(to: storage) { tuple in
                tuple.withMemoryRebound(to: ChargerAction?.self, capacity: Self.capacity) { $0[position]! }
            }
        }
        set {
            precondition(position >= 0 && position < count, "ActionList index out of range")
            withUnsafeMutablePointer(to: &storage) { tuple in
                tuple.withMemoryRebound(to: ChargerAction?.self, capacity: Self.capacity) { $0[position] = newValue }
            }
        }
    }

    /// Appends an action.
    public mutating func append(_ action: ChargerAction) {
        precondition(count < Self.capacity, "more than \(Self.capacity) actions for one input")
        count += 1
        self[count - 1] = action
    }

    /// Puts an action before all others (a contactor opening goes first).
    public mutating func prepend(_ action: ChargerAction) {
        append(action)
        var index = count - 1
        while index > 0 {
            self[index] = self[index - 1]
            index -= 1
        }
        self[0] = action
    }

    public static func == (lhs: ActionList, rhs: ActionList) -> Bool { lhs.elementsEqual(rhs) }

    public func hash(into hasher: inout Hasher) {
        for action in self { hasher.combine(action) }
    }

    public var description: String { "[" + map { "\($0)" }.joined(separator: ", ") + "]" }
}
