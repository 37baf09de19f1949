// TermGuardTests: the C terminal guard's signal flags and stderr redirection, in-process (the tmux
// end-to-end tests cover the terminal restore itself once the dashboard exists).

import CTermGuard
import Foundation
import Testing

/// Polls the quit flag for up to 20 s (signal delivery to another thread is asynchronous; CI is loaded).
func waitForQuit() -> Int32 {
    for _ in 0..<4000 {
        let s = tg_quit_signal()
        if s != 0 { return s }
        usleep(5_000)
    }
    return 0
}

@Suite(.serialized) struct TermGuardTests {
    @Test func termAndIntSetTheQuitFlagInsteadOfKilling() {
        #expect(tg_install_headless() == 0)
        tg_clear_quit()
        #expect(tg_quit_signal() == 0)
        // The test runner's threads may block signals; a process-directed signal reaches one that does not.
        kill(getpid(), SIGTERM)
        #expect(waitForQuit() == SIGTERM)
        tg_clear_quit()
        kill(getpid(), SIGINT)
        #expect(waitForQuit() == SIGINT)
        tg_clear_quit()
        #expect(tg_quit_signal() == 0)
    }

    @Test func stderrGoesToTheLogAndComesBack() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tg-\(UUID().uuidString).log").path
        #expect(tg_redirect_stderr(log) == 0)
        FileHandle.standardError.write(Data("logged while redirected\n".utf8))
        #expect(tg_restore_stderr() == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("logged while redirected"))
    }

    @Test func threadHelpers() {
        #expect(tg_gettid() > 0)
        #expect(tg_set_thread_nice(1) == 0)
    }
}
