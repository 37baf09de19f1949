// CheckpointLock: one writer per checkpoint folder. A writer (train, experiment) holds an exclusive
// flock(2) on `<DIR>.lock`, beside the folder, for as long as it runs; the kernel drops the lock when
// the process dies in any way, so a lock file left by a killed process never blocks anyone. The
// holder writes its process id into the file, and a second writer refuses with one line naming the
// folder and that id. Taking the lock removes staging folders left by killed writers. Readers (eval, sample, watch, explore) never take the lock: saves are atomic.
//
// A clean release unlinks the file while still holding the lock; an acquirer therefore checks, after
// locking, that the path still names the file it locked, and starts again when it does not.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

/// The exclusive lock on one checkpoint (or experiment) folder, held until `release()` or deinit.
///
/// ```swift
/// let lock = try CheckpointLock.acquire(for: "runs/copy-seed0")   // refuses if another writer has it
/// defer { lock.release() }
/// ```
public final class CheckpointLock: @unchecked Sendable {
    /// The folder the lock guards, and the lock file beside it.
    public let directory: String
    public let path: String
    private var descriptor: Int32

    private init(directory: String, path: String, descriptor: Int32) {
        self.directory = directory
        self.path = path
        self.descriptor = descriptor
    }

    deinit { release() }

    /// `<directory>.lock` for `directory` (trailing slashes dropped).
    public static func lockPath(for directory: String) -> String {
        trimmed(directory) + ".lock"
    }

    /// Takes the lock of `directory` without waiting; creates the lock file (and the folder's parent)
    /// when missing. Throws, naming the folder and the holder's process id, when another process has it.
    public static func acquire(for directory: String) throws(ReformerError) -> CheckpointLock {
        let target = trimmed(directory)
        guard !target.isEmpty else { throw ReformerError(file: "checkpoint", "folder path is empty, expected a folder") }
        let path = target + ".lock"
        let parent = CheckpointFolder.parentDirectory(of: target)
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw ReformerError(file: parent, "cannot be created for the lock file \(path) (\(error.localizedDescription))")
        }
        // A releasing holder unlinks the file; a few rounds always suffice unless the file keeps
        // being replaced under us.
        for _ in 0..<100 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw lockError(path, "could not be opened") }
            var locked: Int32
            repeat { locked = flock(fd, LOCK_EX | LOCK_NB) } while locked != 0 && errno == EINTR
            if locked != 0 {
                let code = errno
                let holder = readHolder(fd)
                close(fd)
                guard code == EWOULDBLOCK else { throw lockError(path, "could not be locked", code: code) }
                let who = holder.map { "process \($0)" } ?? "another process"
                throw ReformerError(file: target, "is in use by \(who), which holds \(path); wait for it to finish or stop it, or write elsewhere")
            }
            if sameFile(fd, path) {
                // The pid only serves the refusal message of a second writer; a failed write leaves
                // the lock itself intact, so it is not an error.
                let text = Array("\(getpid())\n".utf8)
                if ftruncate(fd, 0) == 0 {
                    _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
                }
                // The sole writer now: staging folders a killed writer left go at once.
                CheckpointFolder.removeStaleStaging(of: target)
                return CheckpointLock(directory: target, path: path, descriptor: fd)
            }
            close(fd)
        }
        throw ReformerError(file: path, "kept being replaced while locking it; is another program deleting it?")
    }

    /// Unlinks the lock file and drops the lock (idempotent).
    public func release() {
        guard descriptor >= 0 else { return }
        if Self.sameFile(descriptor, path) { unlink(path) }
        close(descriptor)
        descriptor = -1
    }

    static func trimmed(_ directory: String) -> String {
        var target = directory
        while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
        return target
    }

    /// True when `path` still names the open file `fd` (same device and inode).
    private static func sameFile(_ fd: Int32, _ path: String) -> Bool {
        var open = stat(), named = stat()
        guard fstat(fd, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// The process id in a lock file, when it holds one.
    private static func readHolder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text), pid > 0 else { return nil }
        return pid
    }

    private static func lockError(_ path: String, _ action: String, code: Int32 = errno) -> ReformerError {
        ReformerError(file: path, "\(action) (\(String(cString: strerror(code))), errno \(code)); the lock file keeps two writers out of one checkpoint folder")
    }
}
