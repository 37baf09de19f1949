// CheckpointFolder: replaces a whole checkpoint folder atomically. Every file is written and fsynced
// into a sibling staging folder, which is then exchanged with the live folder in one rename
// (renameat2 RENAME_EXCHANGE), so a crash at any instant leaves the old folder or the new one.

import CFileSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum CheckpointFolder {
    /// Calls `write(staging)` to fill a new folder, then swaps it in for `directory`.
    /// On any failure the staging folder is removed and `directory` is untouched.
    public static func replace(_ directory: String, with write: (String) throws(ReformerError) -> Void) throws(ReformerError) {
        let fm = FileManager.default
        var target = directory
        while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
        let parent = parentDirectory(of: target)
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw ReformerError(file: parent, "cannot be created for the checkpoint (\(error.localizedDescription))")
        }
        let staging = target + ".saving-\(getpid())"
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
        } catch {
            throw ReformerError(file: staging, "cannot be created (\(error.localizedDescription))")
        }
        do {
            try write(staging)
            syncDirectory(staging)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: target, isDirectory: &isDir) {
            guard isDir.boolValue else {
                try? fm.removeItem(atPath: staging)
                throw ReformerError(file: target, "is a file, expected a checkpoint folder")
            }
            if fs_exchange_paths(staging, target) != 0 {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(atPath: staging)
                throw ReformerError(file: target, "could not be replaced atomically (\(reason))")
            }
            syncDirectory(parent)
            try? fm.removeItem(atPath: staging)   // now holds the previous checkpoint
        } else {
            if rename(staging, target) != 0 {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(atPath: staging)
                throw ReformerError(file: target, "could not be created (\(reason))")
            }
            syncDirectory(parent)
        }
    }

    /// "a/b/c" → "a/b", "c" → ".", "/c" → "/" (without Foundation's path APIs, which trap on some
    /// relative paths in swift-corelibs-foundation).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}
