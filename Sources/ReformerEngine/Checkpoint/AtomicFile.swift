// AtomicFile: whole-file reads, and writes that a crash cannot half-finish: temp file in the target's
// directory, write everything, fsync, rename over the target, fsync the directory (rename(2) is
// atomic within one file system; the directory fsync makes the new name durable).
// The C file API lives here, in MappedFile (read-only maps) and in CheckpointFolder (renames).

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whole-file I/O with errors as `ReformerError` naming the path (typed throws).
///
/// ```swift
/// try AtomicFile.write(writer.serialized(), to: "run/checkpoint.safetensors")
/// let bytes = try AtomicFile.readContents(of: "run/checkpoint.safetensors")
/// ```
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`, or throws and leaves whatever was there intact.
    /// No temporary file remains after a failure. The one exception is a failing fsync of the
    /// directory after the rename: the new contents are then in place and the error says so.
    public static func write(_ bytes: [UInt8], to path: String) throws(ReformerError) {
        let directory = directoryName(of: path)
        let temporaryPath = temporaryName(for: path, in: directory)
        let descriptor = retryingInterrupts { open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) }
        guard descriptor >= 0 else {
            throw systemError(path, "could not create a temporary file in \(directory)")
        }
        do throws(ReformerError) {
            try writeFully(bytes, to: descriptor, path)
            guard retryingInterrupts({ fsync(descriptor) }) == 0 else { throw systemError(path, "could not fsync") }
        } catch {
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        // After fsync, EINTR from close(2) still means closed on Linux, and the data is on disk.
        if close(descriptor) != 0 && errno != EINTR {
            let error = systemError(path, "could not close the temporary file")
            unlink(temporaryPath)
            throw error
        }
        guard rename(temporaryPath, path) == 0 else {
            let error = systemError(path, "could not rename the temporary file over it")
            unlink(temporaryPath)
            throw error
        }
        try syncDirectory(directory, of: path)
    }

    /// Every byte of the file at `path`, in one allocation sized from fstat.
    public static func readContents(of path: String) throws(ReformerError) -> [UInt8] {
        let descriptor = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw systemError(path, "could not open for reading") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(path, "could not stat") }
        guard let size = Int(exactly: status.st_size), size >= 0 else {
            throw ReformerError(file: path, "fstat reported size \(status.st_size), expected a file size")
        }
        return try readFully(descriptor, size: size, path)
    }

    /// The directory part of `path`: "." for a bare name, "/" for a file in the root.
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A hidden, unique sibling of `path`; the name is shortened so it stays under NAME_MAX.
    static func temporaryName(for path: String, in directory: String) -> String {
        let base = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path[...]
        let unique = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        return "\(directory)/.\(base.prefix(100)).\(getpid()).\(unique).tmp"
    }
}

private func syncDirectory(_ directory: String, of path: String) throws(ReformerError) {
    let descriptor = retryingInterrupts { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    guard descriptor >= 0 else {
        throw systemError(path, "was replaced, but its directory \(directory) could not be opened to fsync")
    }
    defer { close(descriptor) }
    // Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as it gets.
    if retryingInterrupts({ fsync(descriptor) }) != 0 && errno != EINVAL {
        throw systemError(path, "was replaced, but its directory \(directory) could not be fsynced")
    }
}

/// Writes all of `bytes`, resuming after short writes and EINTR.
private func writeFully(_ bytes: [UInt8], to descriptor: Int32, _ path: String) throws(ReformerError) {
    var failure: Int32 = 0
    bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let written = write(descriptor, base + offset, raw.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                // write(2) returning 0 for a non-empty buffer would loop forever; call it an I/O error.
                failure = written < 0 ? errno : EIO
                return
            }
        }
    }
    if failure != 0 { throw systemError(path, "could not write", code: failure) }
}

/// Reads up to `size` bytes until end of file, resuming after short reads and EINTR.
private func readFully(_ descriptor: Int32, size: Int, _ path: String) throws(ReformerError) -> [UInt8] {
    // An empty array's storage is a shared singleton the initializer would write to (a data race
    // under ThreadSanitizer when two threads read empty files).
    guard size > 0 else { return [] }
    var failure: Int32 = 0
    let contents = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        (initialized, failure) = readUntilFull(descriptor, UnsafeMutableRawBufferPointer(buffer))
    }
    if failure != 0 { throw systemError(path, "could not read", code: failure) }
    return contents
}

extension AtomicFile {
    /// Fills `buffer` from `descriptor` until it is full or the file ends; returns the byte count.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, _ path: String) throws(ReformerError) -> Int {
        let (count, failure) = readUntilFull(descriptor, buffer)
        if failure != 0 { throw systemError(path, "could not read", code: failure) }
        return count
    }
}

/// (bytes read, errno or 0), resuming after short reads and EINTR.
private func readUntilFull(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> (Int, Int32) {
    guard let base = buffer.baseAddress else { return (0, 0) }
    var count = 0
    while count < buffer.count {
        let result = read(descriptor, base + count, buffer.count - count)
        if result > 0 {
            count += result
        } else if result == 0 {
            break
        } else if errno != EINTR {
            return (count, errno)
        }
    }
    return (count, 0)
}

func retryingInterrupts(_ call: () -> Int32) -> Int32 {
    var result: Int32
    repeat { result = call() } while result == -1 && errno == EINTR
    return result
}

/// "<path>: <action>: <strerror> (errno N)"; `code` defaults to errno, read at the call site.
func systemError(_ path: String, _ action: String, code: Int32 = errno) -> ReformerError {
    ReformerError(file: path, "\(action): \(String(cString: strerror(code))) (errno \(code))")
}
