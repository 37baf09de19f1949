// RestrictedUnpickler+Torch: the only globals the unpickler accepts — the few a torch.save state
// dict uses (pytorch/pytorch torch/_utils.py `_rebuild_tensor*`, `_rebuild_parameter*`,
// torch/_tensor.py `_rebuild_from_type_v2`; torch/serialization.py persistent ids) — and what "calling" them means here: recording a
// tensor's storage, offset, size and stride. Nothing is imported, called or executed.

/// A global the unpickler accepts; anything else is refused when the GLOBAL opcode names it.
enum PickleGlobal: Equatable {
    case orderedDict
    /// torch.Size: called with one tuple, which it returns.
    case size
    /// `_rebuild_tensor` (1), `_rebuild_tensor_v2` (2), `_rebuild_tensor_v3` (3, takes a dtype).
    case rebuildTensor(version: Int)
    case rebuildParameter(withState: Bool)
    /// `torch._tensor._rebuild_from_type_v2(func, type, args, state)`: a tensor with Python
    /// attributes (transformers marks weights and buffers this way), rebuilt by `func(*args)`.
    case rebuildFromType
    /// torch.Tensor and torch.nn.Parameter, accepted only as `_rebuild_from_type_v2`'s type.
    case tensorType(String)
    /// A storage class as written, e.g. "torch.FloatStorage" or "torch.cuda.HalfStorage".
    case storageType(String)
    /// A dtype by its torch attribute name, e.g. "float32".
    case dtype(String)

    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .size: "torch.Size"
        case .rebuildTensor(let version): "torch._utils._rebuild_tensor" + (version == 1 ? "" : "_v\(version)")
        case .rebuildParameter(let withState): "torch._utils._rebuild_parameter" + (withState ? "_with_state" : "")
        case .rebuildFromType: "torch._tensor._rebuild_from_type_v2"
        case .tensorType(let name): name
        case .storageType(let name): name
        case .dtype(let name): "torch." + name
        }
    }
}

/// A storage (or, in the legacy format, a view of one) that a persistent id refers to.
struct PickleStorage {
    let key: String
    /// The storage class, for messages.
    let typeName: String
    let dtype: SafeTensorDType
    /// The byte range of the storage key's data this reference covers.
    let byteOffset: Int
    let byteCount: Int
}

/// A tensor as `_rebuild_tensor*` describes it: elements of `dtype` in `storage`, offsets and
/// strides counted in elements.
struct PickleTensor {
    let storage: Int
    let dtype: SafeTensorDType
    let offset: Int
    let size: [Int]
    let stride: [Int]
}

extension RestrictedUnpickler {
    static let storageDTypes: [String: SafeTensorDType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool, "UntypedStorage": .u8,
    ]

    static let dtypes: [String: SafeTensorDType] = [
        "float64": .f64, "double": .f64, "float32": .f32, "float": .f32, "float16": .f16, "half": .f16,
        "bfloat16": .bf16, "int64": .i64, "long": .i64, "int32": .i32, "int": .i32, "int16": .i16,
        "short": .i16, "int8": .i8, "uint8": .u8, "bool": .bool,
    ]

    private static let storageModules: Set<String> = ["torch", "torch.cuda", "torch.storage"]
    /// Tensors have at most this many dimensions here (torch allows 64 too).
    private static let maxDimensions = 64

    /// The allowed global `module.name`, or an error naming it.
    func resolveGlobal(module: String, name: String) throws(ReformerError) -> PickleGlobal {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch", "Size"): return .size
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor(version: 1)
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensor(version: 2)
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensor(version: 3)
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter(withState: false)
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameter(withState: true)
        case ("torch._tensor", "_rebuild_from_type_v2"): return .rebuildFromType
        case ("torch", "Tensor"), ("torch._tensor", "Tensor"), ("torch.nn.parameter", "Parameter"):
            return .tensorType(module + "." + name)
        default: break
        }
        // Storage classes are only markers in persistent ids; unknown ones fail where they are used.
        if Self.storageModules.contains(module), name.hasSuffix("Storage"),
            name.unicodeScalars.allSatisfy({ $0 == "_" || ("0"..."9").contains($0) || ("A"..."Z").contains($0) || ("a"..."z").contains($0) })
        {
            return .storageType(module + "." + name)
        }
        if module == "torch", Self.dtypes[name] != nil { return .dtype(name) }
        throw failure("refuses global \((module + "." + name).forMessage); a state dict needs only tensors")
    }

    /// REDUCE: `callable(*arguments)` for the allowed functions, as a value index.
    mutating func reduce(_ callable: Int, _ arguments: Int) throws(ReformerError) -> Int {
        guard case .global(let function) = value(callable) else {
            throw failure("REDUCE calls \(describe(callable)), expected one of the allowed torch functions")
        }
        guard case .tuple(let args) = value(arguments) else {
            throw failure("REDUCE passes \(describe(arguments)) to \(function.qualifiedName), expected a tuple")
        }
        switch function {
        case .orderedDict:
            return try orderedDict(args)
        case .size:
            guard args.count == 1, case .tuple = value(args[0]) else {
                throw failure("torch.Size takes one tuple, found \(args.count) arguments")
            }
            return args[0]
        case .rebuildTensor(let version):
            return try rebuildTensor(version: version, args)
        case .rebuildParameter(let withState):
            guard args.count == (withState ? 4 : 3), case .tensor = value(args[0]) else {
                let expected = withState ? "(tensor, requires_grad, hooks, state)" : "(tensor, requires_grad, hooks)"
                throw failure("\(function.qualifiedName) takes \(expected), found \(args.count) arguments")
            }
            return args[0]
        case .rebuildFromType:
            // The state (the tensor's attributes) is not needed; the tensor is `func(*args)`.
            guard args.count == 4, case .global(.tensorType) = value(args[1]), case .tuple = value(args[2]) else {
                throw failure(
                    "\(function.qualifiedName) takes (function, torch.Tensor or torch.nn.Parameter, arguments, state), "
                        + "found \(args.count) arguments")
            }
            switch value(args[0]) {
            case .global(.rebuildTensor), .global(.rebuildParameter): return try reduce(args[0], args[2])
            default: throw failure("\(function.qualifiedName) rebuilds with \(describe(args[0])), expected a torch._utils._rebuild_* function")
            }
        case .storageType, .dtype, .tensorType:
            throw failure("\(function.qualifiedName) is called, but it may only name a type")
        }
    }

    /// NEWOBJ: only an OrderedDict may be created.
    mutating func newObject(_ type: Int, _ arguments: Int) throws(ReformerError) -> Int {
        guard case .global(.orderedDict) = value(type), case .tuple(let args) = value(arguments) else {
            throw failure("NEWOBJ creates \(describe(type)), expected only collections.OrderedDict")
        }
        return try orderedDict(args)
    }

    /// BUILD: the state of a dict (an OrderedDict's `_metadata`) or a tensor is not needed.
    func build(_ target: Int, state: Int) throws(ReformerError) {
        switch value(target) {
        case .dict, .tensor: return
        default: throw failure("BUILD sets the state of \(describe(target)), expected a dict or a tensor")
        }
    }

    /// BINPERSID: `('storage', storage_type, key, location, count[, view_metadata])`.
    mutating func persistentLoad(_ id: Int) throws(ReformerError) -> Int {
        guard case .tuple(let fields) = value(id), let first = fields.first else {
            throw failure("persistent id is \(describe(id)), expected a ('storage', type, key, location, count) tuple")
        }
        guard text(first) == "storage" else {
            throw failure("persistent id of kind \(describe(first)), expected \"storage\"")
        }
        guard fields.count == 5 || fields.count == 6 else {
            throw failure("storage persistent id has \(fields.count) fields, expected 5 (zip format) or 6 (legacy format)")
        }
        guard case .global(.storageType(let typeName)) = value(fields[1]) else {
            throw failure("storage type is \(describe(fields[1])), expected a torch storage class such as torch.FloatStorage")
        }
        let shortName = typeName.split(separator: ".").last.map(String.init) ?? typeName
        guard let dtype = Self.storageDTypes[shortName] else {
            let known = Self.storageDTypes.keys.sorted().map { "torch." + $0 }.joined(separator: ", ")
            throw failure("unknown storage type \(typeName), expected one of \(known)")
        }
        guard let key = text(fields[2]) ?? integer(fields[2]).map(String.init) else {
            throw failure("storage key is \(describe(fields[2])), expected a string")
        }
        func storageFailure(_ detail: String) -> ReformerError { failure("storage \"\(key.forMessage)\": \(detail)") }
        guard text(fields[3]) != nil else { throw storageFailure("location is \(describe(fields[3])), expected a string such as \"cpu\"") }
        guard let count = integer(fields[4]), count >= 0 else {
            throw storageFailure("element count is \(describe(fields[4])), expected a non-negative integer")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteCount <= maxStorageBytes else {
            throw storageFailure("declares \(count) elements of \(dtype.rawValue), more than the file's \(maxStorageBytes) bytes hold")
        }
        if let declared = declaredStorages[key] {
            guard declared.dtype == dtype, declared.count == count else {
                throw storageFailure(
                    "is declared as \(declared.count) × \(declared.type) and as \(count) × \(typeName), expected one storage per key")
            }
        } else {
            declaredStorages[key] = (typeName, dtype, count)
        }

        var view = (offset: 0, count: byteCount)
        if fields.count == 6 {
            switch value(fields[5]) {
            case .none: break
            case .tuple(let metadata):
                // Legacy storage views: (view_key, offset, size), in elements of the root storage.
                guard metadata.count == 3, let offset = integer(metadata[1]), let size = integer(metadata[2]),
                    offset >= 0, size >= 0, offset <= count, size <= count - offset
                else { throw storageFailure("view \(describe(fields[5])) does not lie inside its \(count) elements") }
                view = (offset * dtype.byteSize, size * dtype.byteSize)
            default:
                throw storageFailure("view metadata is \(describe(fields[5])), expected None or (key, offset, size)")
            }
        }
        return addStorage(PickleStorage(key: key, typeName: typeName, dtype: dtype, byteOffset: view.offset, byteCount: view.count))
    }

    // MARK: - Calls

    private mutating func orderedDict(_ args: [Int]) throws(ReformerError) -> Int {
        if args.isEmpty { return try store(.dict([])) }
        guard args.count == 1 else { throw failure("OrderedDict takes at most one argument, found \(args.count)") }
        let itemList: [Int]
        switch value(args[0]) {
        case .list(let items), .tuple(let items): itemList = items
        case .dict(let items): return try store(.dict(items))
        default: throw failure("OrderedDict is given \(describe(args[0])), expected a list of pairs")
        }
        var items: [(key: Int, value: Int)] = []
        for item in itemList {
            guard case .tuple(let pair) = value(item), pair.count == 2 else {
                throw failure("OrderedDict item is \(describe(item)), expected a (key, value) pair")
            }
            items.append((pair[0], pair[1]))
        }
        return try store(.dict(items))
    }

    /// `_rebuild_tensor(storage, offset, size, stride)`, `_v2(…, requires_grad, hooks[, metadata])`,
    /// `_v3(…, requires_grad, hooks, dtype[, metadata])`.
    private mutating func rebuildTensor(version: Int, _ args: [Int]) throws(ReformerError) -> Int {
        let name = PickleGlobal.rebuildTensor(version: version).qualifiedName
        let counts = version == 1 ? [4] : version == 2 ? [6, 7] : [7, 8]
        guard counts.contains(args.count) else {
            throw failure("\(name) is given \(args.count) arguments, expected \(counts.map(String.init).joined(separator: " or "))")
        }
        guard case .storage(let storage) = value(args[0]) else {
            throw failure("\(name) is given \(describe(args[0])) as its storage, expected a persistent storage")
        }
        guard let offset = integer(args[1]), offset >= 0 else {
            throw failure("\(name) storage offset is \(describe(args[1])), expected a non-negative integer")
        }
        guard let size = integers(args[2]), size.allSatisfy({ $0 >= 0 }), size.count <= Self.maxDimensions else {
            throw failure("\(name) size is \(describe(args[2])), expected a tuple of at most \(Self.maxDimensions) non-negative integers")
        }
        guard let stride = integers(args[3]), stride.count == size.count, stride.allSatisfy({ $0 >= 0 }) else {
            throw failure("\(name) stride is \(describe(args[3])), expected \(size.count) non-negative integers")
        }
        var dtype = storages[storage].dtype
        if version == 3 {
            guard case .global(.dtype(let dtypeName)) = value(args[6]), let declared = Self.dtypes[dtypeName] else {
                throw failure("\(name) dtype is \(describe(args[6])), expected a torch dtype such as torch.float32")
            }
            dtype = declared
        }
        let tensor = addTensor(PickleTensor(storage: storage, dtype: dtype, offset: offset, size: size, stride: stride))
        return try store(.tensor(tensor))
    }

    // MARK: - Value access

    func text(_ index: Int) -> String? {
        switch value(index) {
        case .string(let text): text
        case .bytes(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }

    func integer(_ index: Int) -> Int? {
        guard case .int(let value) = value(index) else { return nil }
        return Int(exactly: value)
    }

    /// A tuple or list whose every element is an integer.
    func integers(_ index: Int) -> [Int]? {
        switch value(index) {
        case .tuple(let items), .list(let items):
            var result: [Int] = []
            for item in items {
                guard let number = integer(item) else { return nil }
                result.append(number)
            }
            return result
        default: return nil
        }
    }
}
