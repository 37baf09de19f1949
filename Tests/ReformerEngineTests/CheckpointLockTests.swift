// CheckpointLockTests: one writer per checkpoint folder (a second lock on `<DIR>.lock` is refused
// naming the folder and the holder's pid; a lock file nobody holds never blocks; a release removes
// the file) and the checkpoint folder's staging rules (it appears only complete; hidden staging
// siblings; stale ones from dead processes are removed by the next save, live ones are not).

import Foundation
import Testing
@testable import ReformerEngine

@Suite struct CheckpointLockTests {
    @Test func secondWriterIsRefusedNamingFolderAndPid() throws {
        let dir = temporaryFolder("lock") + "/nested/run/"
        let lock = try CheckpointLock.acquire(for: dir)
        let target = String(dir.dropLast())
        #expect(lock.path == target + ".lock")
        #expect(!FileManager.default.fileExists(atPath: target), "locking creates no checkpoint folder")
        let written = String(decoding: try AtomicFile.readContents(of: lock.path), as: UTF8.self)
        #expect(written == "\(getpid())\n")
        // flock is per open file description: a second acquire, even in this process, conflicts.
        expectError([target + ":", "process \(getpid())", target + ".lock"]) { _ = try CheckpointLock.acquire(for: target) }
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: lock.path), "a release removes the lock file")
        let again = try CheckpointLock.acquire(for: target)
        again.release()
        again.release()   // idempotent
    }

    @Test func aLockFileNobodyHoldsNeverBlocks() throws {
        let dir = temporaryFolder("stale-lock")
        try FileManager.default.createDirectory(atPath: CheckpointFolder.parentDirectory(of: dir), withIntermediateDirectories: true)
        // What a killed writer leaves: the file with its pid, and no lock on it.
        try AtomicFile.write(Array("2147483646\n".utf8), to: dir + ".lock")
        let lock = try CheckpointLock.acquire(for: dir)
        #expect(String(decoding: try AtomicFile.readContents(of: lock.path), as: UTF8.self) == "\(getpid())\n")
        lock.release()
    }

    @Test func aLockReleasedByDeinitLetsTheNextWriterIn() throws {
        let dir = temporaryFolder("deinit-lock")
        do { _ = try CheckpointLock.acquire(for: dir) }
        try CheckpointLock.acquire(for: dir).release()
    }

    @Test func theFolderAppearsOnlyWithItsFirstCompleteCheckpoint() throws {
        let dir = temporaryFolder("appear") + "/run"
        var stagingSeen = ""
        #expect(throws: ReformerError.self) {
            try CheckpointFolder.replace(dir) { (staging: String) throws(ReformerError) in
                stagingSeen = staging
                try AtomicFile.write([1], to: staging + "/config.json")
                throw ReformerError(file: staging + "/model.safetensors", "could not write: No space left on device")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: dir), "a failed first save leaves no folder")
        #expect(!FileManager.default.fileExists(atPath: stagingSeen))
        #expect(stagingSeen == CheckpointFolder.parentDirectory(of: dir) + "/.run.saving-\(getpid())", "a hidden sibling")
        expectError([dir + ": not saved (model.safetensors: could not write: No space left on device); no checkpoint was written"]) {
            try CheckpointFolder.replace(dir) { (staging: String) throws(ReformerError) in
                throw ReformerError(file: staging + "/model.safetensors", "could not write: No space left on device")
            }
        }
        try CheckpointFolder.replace(dir) { (staging: String) throws(ReformerError) in
            try AtomicFile.write([1], to: staging + "/config.json")
            #expect(!FileManager.default.fileExists(atPath: dir), "not there while the save is under way")
        }
        #expect(try AtomicFile.readContents(of: dir + "/config.json") == [1])
        expectError(["not saved", "the previous checkpoint is kept"]) {
            try CheckpointFolder.replace(dir) { (staging: String) throws(ReformerError) in
                throw ReformerError(file: staging + "/config.json", "could not write")
            }
        }
        #expect(try AtomicFile.readContents(of: dir + "/config.json") == [1])
    }

    @Test func staleStagingFoldersAreRemovedByTheNextSave() throws {
        let dir = temporaryFolder("staging") + "/run"
        let parent = CheckpointFolder.parentDirectory(of: dir)
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        // A dead writer's (no pid is this large) and a live process's (this test's parent) staging folders.
        let dead = CheckpointFolder.stagingPath(for: dir, pid: Int32.max)
        let live = CheckpointFolder.stagingPath(for: dir, pid: getppid())
        let other = parent + "/.runs.saving-\(Int32.max)"   // another folder's
        for path in [dead, live, other] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try AtomicFile.write([9], to: path + "/model.safetensors")
        }
        try CheckpointFolder.replace(dir) { (staging: String) throws(ReformerError) in
            try AtomicFile.write([2], to: staging + "/config.json")
        }
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live), "a running process's staging folder is not touched")
        #expect(FileManager.default.fileExists(atPath: other))
        let names = try FileManager.default.contentsOfDirectory(atPath: parent).sorted()
        #expect(names == [".run.saving-\(getppid())", ".runs.saving-\(Int32.max)", "run"])
    }

    @Test func theExperimentLocksEachModelFolderWhileItWorksOnIt() throws {
        let preset = try tinyExperimentPreset(steps: 2)
        let dir = temporaryFolder("experiment-lock")
        let experiment = try CopyExperiment(tier: .quick, preset: preset, seedCount: 1, steps: nil, directory: dir, resume: false, command: "test")
        var checked = 0
        let outcome = experiment.runHeadless(log: { line in
            guard line.hasPrefix("model 2/4") else { return }
            // Training LSH-1: its folder is taken, the finished Full model's is free again.
            let seed = experiment.results.seeds[0]
            let busy = experiment.modelDirectory(seed: seed, row: .lsh1)
            expectError([busy + ":", "process \(getpid())"]) { _ = try CheckpointLock.acquire(for: busy) }
            do {
                try CheckpointLock.acquire(for: experiment.modelDirectory(seed: seed, row: .full)).release()
                checked += 1
            } catch {
                Issue.record("the Full model's folder is still locked: \(error)")
            }
        }, shouldStop: { false })
        #expect(outcome == .completed && checked == 1)
        let left = try FileManager.default.subpathsOfDirectory(atPath: dir).filter { $0.hasSuffix(".lock") || $0.contains(".saving-") }
        #expect(left.isEmpty, "locks and staging folders are gone after the run: \(left)")
    }
}
