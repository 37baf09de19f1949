// MappedFile: a whole file as read-only bytes, mapped (PROT_READ, MAP_PRIVATE) so a large
// checkpoint is not copied, or read into memory where mapping fails. A mapped page past the end of
// a file that shrank raises SIGBUS, so readers check every extent against `bytes.count` when they
// open the file and call `checkUnchanged()` before they touch tensor data.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The bytes of one file for the lifetime of the object. Immutable, hence Sendable.
final class MappedFile: @unchecked Sendable {
    let path: String
    /// Every byte of the file as it was at open; valid until the object is released.
    let bytes: UnsafeRawBufferPointer
    /// True when `bytes` is a mapping of the file rather than a copy in memory.
    let isMapped: Bool

    private let descriptor: Int32
    /// Size and modification time at open, compared by `checkUnchanged()`.
    private let size: Int
    private let modified: timespec

    /// Maps the file at `path`; `allowMapping: false` reads it into memory instead.
    init(path: String, allowMapping: Bool = true) throws(ReformerError) {
        let descriptor = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw systemError(path, "could not open for reading") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = systemError(path, "could not stat")
            close(descriptor)
            throw error
        }
        guard (status.st_mode & S_IFMT) == S_IFREG, let size = Int(exactly: status.st_size), size >= 0 else {
            close(descriptor)
            throw ReformerError(file: path, "is not a regular file, expected a weights file")
        }
        self.path = path
        self.descriptor = descriptor
        self.size = size
        self.modified = Self.modificationTime(status)

        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        if allowMapping, let start = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), start != MAP_FAILED {
            bytes = UnsafeRawBufferPointer(start: start, count: size)
            isMapped = true
            return
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        let count: Int
        do {
            count = try AtomicFile.read(descriptor, into: buffer, path)
        } catch {
            buffer.deallocate()
            close(descriptor)
            throw error
        }
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
        isMapped = false
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else if let base = bytes.baseAddress {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
        close(descriptor)
    }

    /// Throws when the file's size or modification time differs from those at open: its mapped
    /// pages may no longer be backed (SIGBUS) or hold other data.
    func checkUnchanged() throws(ReformerError) {
        guard isMapped else { return }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw systemError(path, "could not stat") }
        let now = Self.modificationTime(status)
        guard Int(exactly: status.st_size) == size, now.tv_sec == modified.tv_sec, now.tv_nsec == modified.tv_nsec else {
            throw ReformerError(
                file: path,
                "changed while being read (\(size) bytes at open, \(status.st_size) now), expected the file to stay as it was")
        }
    }

    private static func modificationTime(_ status: stat) -> timespec {
        #if canImport(Darwin)
            status.st_mtimespec
        #else
            status.st_mtim
        #endif
    }
}
