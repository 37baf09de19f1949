// RestrictedUnpickler: reads a pickle (protocols 0–5, opcodes as Python's pickletools documents
// them) into plain values and never executes anything. Globals resolve only to the names a torch
// state dict uses (RestrictedUnpickler+Torch.swift); every other global is refused by name. Values
// live in one arena and refer to each other by index, so memo sharing, in-place APPEND/SETITEM and
// even cycles need no reference types, and nothing is freed recursively.

/// One value built by the unpickler; containers hold indices into `RestrictedUnpickler.values`.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// Two's complement, little-endian, wider than 64 bits (LONG1/LONG4).
    case bigInteger([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([Int])
    case list([Int])
    /// Items in insertion order; a later duplicate key wins when read as a dictionary.
    case dict([(key: Int, value: Int)])
    case global(PickleGlobal)
    /// Index into `RestrictedUnpickler.storages`.
    case storage(Int)
    /// Index into `RestrictedUnpickler.tensors`.
    case tensor(Int)
}

/// A pickle stream in `bytes[start...]`, read up to and including its STOP opcode.
struct RestrictedUnpickler {
    /// Bounds on what one pickle may build; a state dict of 100k tensors stays far below them.
    static let maxValues = 5_000_000
    static let maxStackDepth = 1_000_000
    static let maxMarkDepth = 10_000
    static let maxMemoEntries = 5_000_000
    static let maxContainedReferences = 20_000_000
    static let maxIntegerBytes = 1_024

    let bytes: UnsafeRawBufferPointer
    /// File and entry for messages ("pytorch_model.bin", "archive/data.pkl").
    let file: String
    let entry: String
    /// Storages may not declare more bytes than this (the file's size).
    let maxStorageBytes: Int

    /// Where the next opcode is read; after `load()`, the byte after STOP.
    private(set) var position: Int
    private(set) var values: [PickleValue] = []
    private(set) var storages: [PickleStorage] = []
    private(set) var tensors: [PickleTensor] = []
    /// Declared element type and count of each storage key, for consistency between references.
    var declaredStorages: [String: (type: String, dtype: SafeTensorDType, count: Int)] = [:]

    private var stack: [Int] = []
    private var marks: [Int] = []
    private var memo: [UInt64: Int] = [:]
    private var containedReferences = 0
    private var opcodeStart = 0

    init(bytes: UnsafeRawBufferPointer, start: Int = 0, file: String, entry: String, maxStorageBytes: Int) {
        self.bytes = bytes
        self.position = start
        self.file = file
        self.entry = entry
        self.maxStorageBytes = maxStorageBytes
    }

    /// Runs the opcodes up to STOP; returns the index of the pickled object in `values`.
    mutating func load() throws(ReformerError) -> Int {
        while true {
            opcodeStart = position
            let opcode = try readByte()
            if opcode == 0x2E { return try pop() }  // STOP
            try execute(opcode)
        }
    }

    func value(_ index: Int) -> PickleValue { values[index] }

    /// "pytorch_model.bin (archive/data.pkl): <detail> (pickle byte N)".
    func failure(_ detail: String) -> ReformerError {
        ReformerError(file: file, field: entry, "\(detail) (pickle byte \(opcodeStart))")
    }

    // MARK: - Opcodes

    private mutating func execute(_ opcode: UInt8) throws(ReformerError) {
        switch opcode {
        case 0x80:  // PROTO
            let version = try readByte()
            guard version <= 5 else { throw failure("unknown pickle protocol \(version), expected 0 to 5") }
        case 0x95:  // FRAME: a length hint only; the frame must fit in what is left.
            let length = try readUInt64()
            guard length <= UInt64(bytes.count - position) else {
                throw failure("frame of \(length) bytes runs past the end of the data (truncated?)")
            }
        case 0x28: try pushMark()  // MARK
        case 0x29: try push(.tuple([]))  // EMPTY_TUPLE
        case 0x5D: try push(.list([]))  // EMPTY_LIST
        case 0x7D: try push(.dict([]))  // EMPTY_DICT
        case 0x8F: try push(.list([]))  // EMPTY_SET, kept as a list
        case 0x74: try push(.tuple(try popMark()))  // TUPLE
        case 0x85: try pushTuple(count: 1)  // TUPLE1
        case 0x86: try pushTuple(count: 2)  // TUPLE2
        case 0x87: try pushTuple(count: 3)  // TUPLE3
        case 0x91: try push(.tuple(try popMark()))  // FROZENSET
        case 0x6C: try push(.list(try popMark()))  // LIST
        case 0x64: try push(.dict(try pairs(try popMark())))  // DICT
        case 0x61: try append([try pop()])  // APPEND
        case 0x65, 0x90: try append(try popMark())  // APPENDS, ADDITEMS
        case 0x73:  // SETITEM
            let item = try pop()
            try setItems([try pop(), item])
        case 0x75: try setItems(try popMark())  // SETITEMS

        case 0x4A: try push(.int(Int64(Int32(bitPattern: try readUInt32()))))  // BININT
        case 0x4B: try push(.int(Int64(try readByte())))  // BININT1
        case 0x4D: try push(.int(Int64(try readUInt16())))  // BININT2
        case 0x8A: try pushInteger(byteCount: Int(try readByte()))  // LONG1
        case 0x8B: try pushInteger(byteCount: Int(Int32(bitPattern: try readUInt32())))  // LONG4
        case 0x49: try pushTextInteger(allowBool: true)  // INT
        case 0x4C: try pushTextInteger(allowBool: false)  // LONG
        case 0x46:  // FLOAT
            let text = try readLineText()
            guard let number = Double(text) else { throw failure("FLOAT \"\(text.forMessage)\" is not a number") }
            try push(.float(number))
        case 0x47: try push(.float(Double(bitPattern: UInt64(bigEndian: try readRaw(8).loadUnaligned(as: UInt64.self)))))  // BINFLOAT
        case 0x4E: try push(.none)  // NONE
        case 0x88: try push(.bool(true))  // NEWTRUE
        case 0x89: try push(.bool(false))  // NEWFALSE

        case 0x58: try pushText(byteCount: UInt64(try readUInt32()))  // BINUNICODE
        case 0x8C: try pushText(byteCount: UInt64(try readByte()))  // SHORT_BINUNICODE
        case 0x8D: try pushText(byteCount: try readUInt64())  // BINUNICODE8
        case 0x54:  // BINSTRING: Python 2 str, decoded as UTF-8 like torch.load's default encoding
            let length = Int32(bitPattern: try readUInt32())
            guard length >= 0 else { throw failure("BINSTRING length \(length) is negative") }
            try pushText(byteCount: UInt64(length))
        case 0x55: try pushText(byteCount: UInt64(try readByte()))  // SHORT_BINSTRING
        case 0x42: try push(.bytes(Array(try readRaw(UInt64(try readUInt32())))))  // BINBYTES
        case 0x43: try push(.bytes(Array(try readRaw(UInt64(try readByte())))))  // SHORT_BINBYTES
        case 0x8E, 0x96: try push(.bytes(Array(try readRaw(try readUInt64()))))  // BINBYTES8, BYTEARRAY8

        case 0x71: try memoize(key: UInt64(try readByte()))  // BINPUT
        case 0x72: try memoize(key: UInt64(try readUInt32()))  // LONG_BINPUT
        case 0x70: try memoize(key: try readTextMemoKey())  // PUT
        case 0x94: try memoize(key: UInt64(memo.count))  // MEMOIZE
        case 0x68: try recall(key: UInt64(try readByte()))  // BINGET
        case 0x6A: try recall(key: UInt64(try readUInt32()))  // LONG_BINGET
        case 0x67: try recall(key: try readTextMemoKey())  // GET

        case 0x30:  // POP: with nothing above the mark, Python discards the mark instead
            if let mark = marks.last, stack.count == mark { marks.removeLast() } else { _ = try pop() }
        case 0x31: _ = try popMark()  // POP_MARK
        case 0x32: try pushIndex(try peek())  // DUP

        case 0x63:  // GLOBAL
            let module = try readLineText(), name = try readLineText()
            try push(.global(try resolveGlobal(module: module, name: name)))
        case 0x93:  // STACK_GLOBAL
            let name = try pop(), module = try pop()
            guard case .string(let moduleName) = values[module], case .string(let globalName) = values[name] else {
                throw failure("STACK_GLOBAL takes two strings, found \(describe(module)) and \(describe(name))")
            }
            try push(.global(try resolveGlobal(module: moduleName, name: globalName)))
        case 0x52:  // REDUCE
            let arguments = try pop()
            let callable = try peek()
            try replaceTop(with: try reduce(callable, arguments))
        case 0x81:  // NEWOBJ
            let arguments = try pop()
            try replaceTop(with: try newObject(try peek(), arguments))
        case 0x92:  // NEWOBJ_EX
            _ = try pop()
            let arguments = try pop()
            try replaceTop(with: try newObject(try peek(), arguments))
        case 0x62:  // BUILD
            let state = try pop()
            try build(try peek(), state: state)
        case 0x51:  // BINPERSID
            try push(.storage(try persistentLoad(try pop())))
        case 0x50:  // PERSID
            let text = try readLineText()
            throw failure("persistent id \"\(text.forMessage)\" is a string, expected a storage tuple")

        default:
            if let name = Self.unsupportedOpcodes[opcode] {
                throw failure("pickle opcode \(name) (0x\(String(opcode, radix: 16))) is not supported by this reader")
            }
            throw failure("unknown pickle opcode 0x\(String(opcode, radix: 16))")
        }
    }

    /// Opcodes a state dict never needs; each either builds arbitrary objects or needs outside state.
    private static let unsupportedOpcodes: [UInt8: String] = [
        0x53: "STRING", 0x56: "UNICODE", 0x69: "INST", 0x6F: "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
        0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]

    // MARK: - Stack, marks and memo

    /// Appends `value` to the arena and pushes its index.
    @discardableResult
    mutating func push(_ value: PickleValue) throws(ReformerError) -> Int {
        let index = try store(value)
        try pushIndex(index)
        return index
    }

    /// Appends `value` to the arena without pushing it.
    mutating func store(_ value: PickleValue) throws(ReformerError) -> Int {
        guard values.count < Self.maxValues else { throw failure("builds more than \(Self.maxValues) values") }
        switch value {
        case .tuple(let items), .list(let items): try countReferences(items.count)
        case .dict(let items): try countReferences(2 * items.count)
        default: break
        }
        values.append(value)
        return values.count - 1
    }

    mutating func addStorage(_ storage: PickleStorage) -> Int {
        storages.append(storage)
        return storages.count - 1
    }

    mutating func addTensor(_ tensor: PickleTensor) -> Int {
        tensors.append(tensor)
        return tensors.count - 1
    }

    private mutating func pushIndex(_ index: Int) throws(ReformerError) {
        guard stack.count < Self.maxStackDepth else { throw failure("stack grows past \(Self.maxStackDepth) entries") }
        stack.append(index)
    }

    /// Pops the top value; a MARK is a floor that single pops may not cross.
    private mutating func pop() throws(ReformerError) -> Int {
        guard stack.count > (marks.last ?? 0) else { throw failure("stack underflow, the pickle is malformed") }
        return stack.removeLast()
    }

    private func peek() throws(ReformerError) -> Int {
        guard stack.count > (marks.last ?? 0) else { throw failure("stack underflow, the pickle is malformed") }
        return stack[stack.count - 1]
    }

    private mutating func replaceTop(with index: Int) throws(ReformerError) {
        _ = try pop()
        try pushIndex(index)
    }

    private mutating func pushMark() throws(ReformerError) {
        guard marks.count < Self.maxMarkDepth else { throw failure("MARKs nest deeper than \(Self.maxMarkDepth)") }
        marks.append(stack.count)
    }

    /// Everything above the newest MARK, which is removed.
    private mutating func popMark() throws(ReformerError) -> [Int] {
        guard let mark = marks.popLast() else { throw failure("no MARK to pop to, the pickle is malformed") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func pushTuple(count: Int) throws(ReformerError) {
        var items = [Int](repeating: 0, count: count)
        for slot in stride(from: count - 1, through: 0, by: -1) { items[slot] = try pop() }
        try push(.tuple(items))
    }

    private mutating func memoize(key: UInt64) throws(ReformerError) {
        let top = try peek()
        guard memo[key] != nil || memo.count < Self.maxMemoEntries else {
            throw failure("memo grows past \(Self.maxMemoEntries) entries")
        }
        memo[key] = top
    }

    private mutating func recall(key: UInt64) throws(ReformerError) {
        guard let index = memo[key] else { throw failure("memo key \(key) is read before it is written") }
        try pushIndex(index)
    }

    private mutating func countReferences(_ count: Int) throws(ReformerError) {
        containedReferences += count
        guard containedReferences <= Self.maxContainedReferences else {
            throw failure("containers hold more than \(Self.maxContainedReferences) references")
        }
    }

    // MARK: - Containers

    private func pairs(_ items: [Int]) throws(ReformerError) -> [(key: Int, value: Int)] {
        guard items.count % 2 == 0 else { throw failure("\(items.count) items for a dict, expected key-value pairs") }
        return stride(from: 0, to: items.count, by: 2).map { (key: items[$0], value: items[$0 + 1]) }
    }

    private mutating func append(_ items: [Int]) throws(ReformerError) {
        let target = try peek()
        guard case .list(var existing) = values[target] else {
            throw failure("APPEND to \(describe(target)), expected a list")
        }
        try countReferences(items.count)
        values[target] = .none  // the last other reference, so the append below does not copy
        existing.append(contentsOf: items)
        values[target] = .list(existing)
    }

    private mutating func setItems(_ items: [Int]) throws(ReformerError) {
        let newPairs = try pairs(items)
        let target = try peek()
        guard case .dict(var existing) = values[target] else {
            throw failure("SETITEM on \(describe(target)), expected a dict")
        }
        try countReferences(items.count)
        values[target] = .none
        existing.append(contentsOf: newPairs)
        values[target] = .dict(existing)
    }

    // MARK: - Reading

    private mutating func readRaw(_ count: UInt64) throws(ReformerError) -> UnsafeRawBufferPointer {
        guard count <= UInt64(bytes.count - position) else {
            throw failure("needs \(count) more bytes, but the data ends after \(bytes.count - position) (truncated?)")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(count))])
        position += Int(count)
        return slice
    }

    private mutating func readByte() throws(ReformerError) -> UInt8 {
        guard position < bytes.count else { throw failure("data ends before the pickle's STOP opcode (truncated?)") }
        position += 1
        return bytes[position - 1]
    }

    private mutating func readUInt16() throws(ReformerError) -> UInt16 {
        UInt16(littleEndian: try readRaw(2).loadUnaligned(as: UInt16.self))
    }

    private mutating func readUInt32() throws(ReformerError) -> UInt32 {
        UInt32(littleEndian: try readRaw(4).loadUnaligned(as: UInt32.self))
    }

    private mutating func readUInt64() throws(ReformerError) -> UInt64 {
        UInt64(littleEndian: try readRaw(8).loadUnaligned(as: UInt64.self))
    }

    /// The bytes up to the next newline (consumed, not returned), as UTF-8.
    private mutating func readLineText() throws(ReformerError) -> String {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
        guard let newline = rest.prefix(4096).firstIndex(of: 0x0A) else {
            throw failure("text argument has no newline within 4096 bytes")
        }
        let line = try readRaw(UInt64(newline))
        position += 1
        guard let text = String(validating: line, as: UTF8.self) else { throw failure("text argument is not UTF-8") }
        return text
    }

    private mutating func readTextMemoKey() throws(ReformerError) -> UInt64 {
        let text = try readLineText()
        guard let key = UInt64(text) else { throw failure("memo key \"\(text.forMessage)\" is not a number") }
        return key
    }

    private mutating func pushText(byteCount: UInt64) throws(ReformerError) {
        let raw = try readRaw(byteCount)
        guard let text = String(validating: raw, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
        try push(.string(text))
    }

    /// LONG1/LONG4: `byteCount` bytes of two's complement, little-endian.
    private mutating func pushInteger(byteCount: Int) throws(ReformerError) {
        guard (0...Self.maxIntegerBytes).contains(byteCount) else {
            throw failure("integer of \(byteCount) bytes, expected at most \(Self.maxIntegerBytes)")
        }
        let raw = try readRaw(UInt64(byteCount))
        guard byteCount <= 8 else {
            try push(.bigInteger(Array(raw)))
            return
        }
        var value: UInt64 = 0
        for (shift, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        if byteCount > 0, byteCount < 8, raw[byteCount - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(byteCount)) }
        try push(.int(Int64(bitPattern: value)))
    }

    /// INT/LONG in text form; INT's "00" and "01" are protocol 0's False and True.
    private mutating func pushTextInteger(allowBool: Bool) throws(ReformerError) {
        var text = try readLineText()
        if allowBool && (text == "00" || text == "01") {
            try push(.bool(text == "01"))
            return
        }
        if !allowBool && text.hasSuffix("L") { text.removeLast() }
        guard let value = Int64(text) else { throw failure("integer \"\(text.forMessage)\" is not a 64-bit number") }
        try push(.int(value))
    }

    /// "a tuple of 3", "collections.OrderedDict", … for messages.
    func describe(_ index: Int) -> String {
        switch values[index] {
        case .none: "None"
        case .bool: "a bool"
        case .int(let value): "the int \(value)"
        case .bigInteger: "a big integer"
        case .float: "a float"
        case .string(let text): "the string \"\(text.forMessage)\""
        case .bytes(let bytes): "\(bytes.count) bytes"
        case .tuple(let items): "a tuple of \(items.count)"
        case .list(let items): "a list of \(items.count)"
        case .dict(let items): "a dict of \(items.count)"
        case .global(let global): global.qualifiedName
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}
