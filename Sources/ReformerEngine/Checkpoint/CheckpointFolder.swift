// CheckpointFolder: replaces a whole checkpoint folder atomically. Every file is written and fsynced
// into a sibling staging folder, which is then exchanged with the live folder in one rename
// (renameat2 RENAME_EXCHANGE), so a crash at any instant leaves the old folder or the new one.
// The folder itself appears only with its first complete checkpoint (one rename of a full staging
// folder). Staging folders are hidden siblings, `.<name>.saving-<pid>`, which no reader opens; one
// left by a killed process (its pid no longer runs) is removed by the next save, and by the next
// writer's CheckpointLock as it starts. One writer per folder is CheckpointLock's part.

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
        let target = CheckpointLock.trimmed(directory)
        let parent = parentDirectory(of: target)
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw ReformerError(file: parent, "cannot be created for the checkpoint (\(error.localizedDescription))")
        }
        let staging = stagingPath(for: target, pid: getpid())
        removeStaleStaging(of: target)
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
            // Name the checkpoint, not the hidden staging folder, and say what is left.
            let detail = error.message.replacingOccurrences(of: staging + "/", with: "")
            let kept = fm.fileExists(atPath: target) ? "the previous checkpoint is kept" : "no checkpoint was written"
            throw ReformerError(file: target, "not saved (\(detail)); \(kept)")
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

    /// The staging folder of `target` for process `pid`: "a/b/run" → "a/b/.run.saving-123".
    static func stagingPath(for target: String, pid: Int32) -> String {
        siblingPath(of: target, named: stagingPrefix(of: target) + "\(pid)")
    }

    /// ".run.saving-" for "a/b/run".
    static func stagingPrefix(of target: String) -> String {
        let name = target.lastIndex(of: "/").map { String(target[target.index(after: $0)...]) } ?? target
        return ".\(name).saving-"
    }

    static func siblingPath(of target: String, named name: String) -> String {
        guard target.contains("/") else { return name }
        let parent = parentDirectory(of: target)
        return (parent == "/" ? "/" : parent + "/") + name
    }

    /// Removes staging folders of `target` left by this process or by processes that no longer exist
    /// (a kill mid-save, or between the exchange and the removal of the previous checkpoint).
    static func removeStaleStaging(of target: String) {
        let prefix = stagingPrefix(of: target)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parentDirectory(of: target)) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid > 0 else { continue }
            let gone = kill(pid, 0) != 0 && errno == ESRCH
            if pid == getpid() || gone { try? FileManager.default.removeItem(atPath: siblingPath(of: target, named: name)) }
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
