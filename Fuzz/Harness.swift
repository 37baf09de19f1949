// Harness: the libFuzzer entry point over FuzzTargets; the target is named by the environment
// variable REFORMER_FUZZ_TARGET (safetensors, config, torch, sentencepiece, events), so one build serves
// them all (scripts/fuzz.sh). Inputs that throw ReformerError are rejections, not findings;
// libFuzzer reports traps, sanitizer errors, timeouts and runaway memory.

#if canImport(Glibc)
    import Glibc
#endif

private let target: ([UInt8]) throws(ReformerError) -> Void = {
    let name = getenv("REFORMER_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTargets.all[name] else {
        fputs("fuzz: REFORMER_FUZZ_TARGET must be one of \(FuzzTargets.all.keys.sorted().joined(separator: ", "))\n", stderr)
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target(bytes)
    } catch {
        // A clear refusal: the expected outcome for most inputs.
    }
    return 0
}
