// TaskPreset: a folder of assets/presets/ — a HF config.json (the model) and a train.json (the run) —
// loaded, cross-checked against its task, and found at run time from wherever the binary was started.

import Foundation

/// A model config and its training settings, as shipped in `assets/presets/<name>/`.
///
/// ```swift
/// let preset = try TaskPreset.named("copy")           // assets/presets/copy, or the built-in copy
/// preset.config.hashRounds                            // 4
/// preset.sequenceLength                               // 64
/// let mine = try TaskPreset.load(directory: "my-presets/copy-long")
/// ```
public struct TaskPreset: Sendable, Equatable {
    /// The presets shipped in assets/presets (and built into the binary).
    public static let shippedNames = ["copy", "copy-hard", "text"]
    /// Environment variable naming an assets folder; when set, it is the only place searched.
    public static let assetsEnvironmentKey = "REFORMER_TUI_ASSETS"

    /// The folder's name ("copy", "text", …).
    public let name: String
    /// The folder the preset was read from; nil for a built-in copy.
    public let directory: String?
    public let config: ReformerConfig
    public let training: TrainingSettings

    /// Tokens per training sequence: 2·|w| + 2 for copy; text.length or max_position_embeddings for text.
    public var sequenceLength: Int {
        switch training.task {
        case .copy: return 2 * training.copy.wordLength + 2
        case .text: return training.text.length ?? config.maxPositionEmbeddings
        }
    }

    /// The text task's default corpus: `text.data` resolved against the preset's folder. nil when the
    /// preset names none, or when a relative path has no folder to resolve against (built-in copy).
    public var dataPath: String? {
        guard let data = training.text.data else { return nil }
        if data.hasPrefix("/") { return data }
        guard let directory else { return nil }
        return URL(fileURLWithPath: directory).appendingPathComponent(data).standardizedFileURL.path
    }

    /// The copy task this preset trains on (nil for text presets).
    public var copyTask: CopyTask? {
        training.task == .copy ? try? CopyTask(wordLength: training.copy.wordLength) : nil
    }

    public init(name: String, directory: String?, config: ReformerConfig, training: TrainingSettings) throws(ReformerError) {
        self.name = name
        self.directory = directory
        self.config = config
        self.training = training
        try checkTask(file: directory.map { "\($0)/train.json" } ?? "preset \(name)")
    }

    /// Reads `directory/config.json` and `directory/train.json`.
    public static func load(directory: String) throws(ReformerError) -> TaskPreset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReformerError(file: directory, "is not a folder, expected a preset folder with config.json and train.json")
        }
        let config = try ReformerConfig.load(path: "\(directory)/config.json")
        let training = try TrainingSettings.load(path: "\(directory)/train.json")
        let name = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        return try TaskPreset(name: name, directory: directory, config: config, training: training)
    }

    /// The preset `name` from the assets folder (see `locateAssets`), or the copy built into the binary
    /// when no assets folder is found at all.
    public static func named(_ name: String) throws(ReformerError) -> TaskPreset {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw ReformerError(file: "--preset", "\"\(name)\" is not a preset name, expected one of \(shippedNames.joined(separator: ", "))")
        }
        return try named(name, search: locateAssets())
    }

    /// `named` with the search already done (tests pass a search that found nothing).
    static func named(_ name: String, search: (found: String?, searched: [String])) throws(ReformerError) -> TaskPreset {
        if let assets = search.found {
            let directory = "\(assets)/presets/\(name)"
            guard FileManager.default.fileExists(atPath: directory) else {
                let names = available(in: assets)
                throw ReformerError(file: "--preset", "no preset \"\(name)\" in \(assets)/presets, expected one of \(names.joined(separator: ", "))")
            }
            return try load(directory: directory)
        }
        if let builtIn = EmbeddedPresets.files[name] {
            let config = try ReformerConfig.decode(Data(builtIn.config.utf8), file: "built-in \(name)/config.json")
            let training = try TrainingSettings.decode(Data(builtIn.training.utf8), file: "built-in \(name)/train.json")
            return try TaskPreset(name: name, directory: nil, config: config, training: training)
        }
        throw ReformerError(file: "--preset", "no assets folder found (searched \(search.searched.joined(separator: ", "))) and no built-in preset \"\(name)\", expected one of \(shippedNames.joined(separator: ", ")) or REFORMER_TUI_ASSETS set to a folder holding presets/")
    }

    /// Preset folders under `assets/presets`, sorted.
    public static func available(in assets: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(assets)/presets")) ?? []
        return names.filter { FileManager.default.fileExists(atPath: "\(assets)/presets/\($0)/config.json") }.sorted()
    }

    /// Where assets are looked for, in order, and the first that holds a `presets` folder.
    ///
    /// 1. `$REFORMER_TUI_ASSETS` — when set, the only candidate, so a typo is reported rather than
    ///    quietly replaced by the shipped presets;
    /// 2. `<executable's folder>/../../assets` and `/../../../assets` — SwiftPM puts binaries in
    ///    `.build/<config>/` or `.build/<triple>/<config>/` of the checkout;
    /// 3. `<executable's folder>/../share/reformer-tui/assets` — an installed layout;
    /// 4. `./assets` of the current directory.
    public static func locateAssets(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = Bundle.main.executablePath ?? CommandLine.arguments.first,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> (found: String?, searched: [String]) {
        var candidates: [String] = []
        if let explicit = environment[assetsEnvironmentKey], !explicit.isEmpty {
            candidates = [explicit]
        } else {
            if let executablePath {
                let folder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
                for relative in ["../../assets", "../../../assets", "../share/reformer-tui/assets"] {
                    candidates.append(folder.appendingPathComponent(relative).standardizedFileURL.path)
                }
            }
            candidates.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("assets").standardizedFileURL.path)
        }
        let found = candidates.first { candidate in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(candidate)/presets", isDirectory: &isDirectory) && isDirectory.boolValue
        }
        return (found, candidates)
    }

    /// The config must be a causal LM that can hold the task's sequences and tokens.
    private func checkTask(file: String) throws(ReformerError) {
        if !config.causalLoss {
            throw ReformerError(file: file, field: "task", "\"\(training.task.rawValue)\" is causal language modelling, but config.json is \(config.architecture); expected ReformerModelWithLMHead with is_decoder true")
        }
        let vocabNeeded = training.task == .copy ? CopyTask.vocabSize : TextCorpus.vocabSize
        if config.vocabSize < vocabNeeded {
            throw ReformerError(file: file, field: "task", "\"\(training.task.rawValue)\" needs vocab_size ≥ \(vocabNeeded), config.json has \(config.vocabSize)")
        }
        let field = training.task == .copy ? "copy.word_length" : "text.length"
        var limit = config.maxPositionEmbeddings
        if config.axialPositionEmbeddings { limit = min(limit, config.axialShape.reduce(1, *)) }
        if sequenceLength > limit {
            throw ReformerError(file: file, field: field, "gives sequences of \(sequenceLength) tokens, more than the \(limit) positions config.json's position embeddings cover")
        }
    }
}
