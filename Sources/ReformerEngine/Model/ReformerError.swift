// ReformerError: every user-facing failure of the engine, as one line naming the file, field or
// argument and what was expected. The CLI prints `description` and exits non-zero; nothing traps.

/// A failure caused by input the engine was given (a file, a config field, an argument).
public struct ReformerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// One line: "<where>: <what was wrong>, expected <what>".
    public let message: String

    public init(_ message: String) { self.message = message }

    /// An error about `field` of `file` (either may be empty).
    public init(file: String, field: String = "", _ detail: String) {
        var prefix = file
        if !field.isEmpty { prefix += prefix.isEmpty ? field : " (\(field))" }
        self.message = prefix.isEmpty ? detail : "\(prefix): \(detail)"
    }

    public var description: String { message }
}
