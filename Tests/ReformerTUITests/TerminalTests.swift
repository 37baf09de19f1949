// TerminalTests: the app loop driven by MemoryBackend (keys → reducer → command queue, quit waits for
// the worker, redraw only on a key / new snapshot / tick), ncurses key decoding, colour limiting,
// wide characters and the ASCII fallback.

import Testing
@testable import ReformerTUI
import ReformerTelemetry

/// What an injected renderer or reducer saw.
private final class LoopRecorder {
    var keys: [Key] = []
    var sizes: [(Int, Int)] = []
    var themes: [Theme] = []
    var renders = 0
}

/// A loop over `backend` whose renderer records every call and whose reducer records keys and maps
/// `p` → togglePause, `c` → checkpoint + sample, `q` → quit request.
private func recordingLoop(_ backend: MemoryBackend, _ store: SnapshotStore, _ commands: CommandQueue, _ recorder: LoopRecorder,
                   theme: Theme = .dark) -> AppLoop {
    let loop = AppLoop(
        backend: backend, store: store, commands: commands, theme: theme,
        render: { snapshot, _, theme, width, height in
            recorder.renders += 1
            recorder.sizes.append((width, height))
            recorder.themes.append(theme)
            var screen = Screen(width: width, height: height)
            screen.put("step \(snapshot.step)", x: 0, y: 0)
            return screen
        },
        reduce: { state, key, _ in
            recorder.keys.append(key)
            switch key {
            case .character("p"): return [.togglePause]
            case .character("c"): return [.checkpoint, .sample]
            case .character("q"): state.quitRequested = true
            default: break
            }
            return []
        })
    loop.tickInterval = .seconds(3600)   // no clock-driven frames inside a test
    loop.quitSignal = { 0 }              // the test process's own signals are not the loop's business
    return loop
}

private func loopSnapshot(step: Int) -> EngineSnapshot {
    var s = EngineSnapshot()
    s.step = step
    return s
}

@Suite struct AppLoopTests {
    @Test func keysReachTheReducerAndItsCommandsTheQueue() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        backend.enqueue(.character("p"), .character("c"))
        backend.enqueueIdle()
        backend.enqueue(.character("q"))
        var received: [SessionCommand] = []
        let exit = recordingLoop(backend, store, commands, recorder).run(workerFinished: {
            received += commands.drain()
            return received.contains(.quit)
        })
        #expect(recorder.keys == [.character("p"), .character("c"), .character("q")])
        #expect(received == [.togglePause, .checkpoint, .sample, .quit])
        #expect(exit.reason == .quitKey)
        #expect(exit.workerFinished)
    }

    @Test func quitIsSentOnceAndTheLoopDrawsUntilTheWorkerIsDone() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        backend.enqueue(.character("q"), .character("p"), .character("q"))
        var step = 0
        backend.onIdle = {
            step += 1
            store.publish(loopSnapshot(step: step))   // the worker reporting while it saves
        }
        var polls = 0
        var framesAtQuit = -1
        let exit = recordingLoop(backend, store, commands, recorder).run(workerFinished: {
            polls += 1
            if framesAtQuit < 0 { framesAtQuit = backend.screens.count }
            return polls == 6
        })
        #expect(commands.drain() == [.quit])          // once, and nothing from keys typed after it
        #expect(recorder.keys == [.character("q")])
        #expect(exit.workerFinished)
        #expect(backend.screens.count > framesAtQuit + 3, "kept drawing the worker's snapshots while it stopped")
        #expect(exit.lastSnapshot.step == step)
        #expect(exit.frames == backend.screens.count)
    }

    @Test func onlyAKeyOrANewSnapshotRedraws() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        var framesBeforePublish = -1, framesAfterPublish = -1, framesAfterKey = -1
        backend.enqueueIdle(5)
        backend.enqueue {
            framesBeforePublish = backend.screens.count
            store.publish(loopSnapshot(step: 7))
        }
        backend.enqueueIdle(5)
        backend.enqueue { framesAfterPublish = backend.screens.count }
        backend.enqueue(.character("x"))
        backend.enqueueIdle(5)
        backend.enqueue { framesAfterKey = backend.screens.count }
        backend.enqueue(.character("q"))
        _ = recordingLoop(backend, store, commands, recorder).run(workerFinished: { true })
        #expect(framesBeforePublish == 1, "the first frame, then nothing while idle")
        #expect(framesAfterPublish == 2, "one frame for the new snapshot")
        #expect(framesAfterKey == 3, "one frame for the key")
        #expect(backend.screens[1].row(0).hasPrefix("step 7"))
    }

    @Test func aTickRedrawsWithoutNews() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        let loop = recordingLoop(backend, store, commands, recorder)
        loop.tickInterval = .zero
        backend.enqueueIdle(4)
        backend.enqueue(.character("q"))
        _ = loop.run(workerFinished: { true })
        #expect(backend.screens.count >= 5)
    }

    @Test func aQuitSignalSendsQuitLikeTheKey() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        let loop = recordingLoop(backend, store, commands, recorder)
        loop.quitSignal = { backend.reads >= 3 ? 15 : 0 }
        let exit = loop.run(workerFinished: { true })
        #expect(exit.reason == .signal(15))
        #expect(loop.state.quitRequested)
        #expect(commands.drain() == [.quit])
    }

    @Test func aTimeLimitQuitsByItself() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        let loop = recordingLoop(backend, store, commands, recorder)
        loop.exitAfter = .zero
        let exit = loop.run(workerFinished: { true })
        #expect(exit.reason == .timeLimit)
        #expect(commands.drain() == [.quit])
    }

    @Test func aWorkerThatNeverStopsIsGivenUpOn() {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        let loop = recordingLoop(backend, store, commands, recorder)
        loop.quitTimeout = .milliseconds(50)
        backend.enqueue(.character("q"))
        let started = ContinuousClock.now
        let exit = loop.run(workerFinished: { false })
        #expect(!exit.workerFinished)
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        #expect(commands.drain() == [.quit])
    }

    @Test func aResizeRendersAtTheNewSize() {
        let backend = MemoryBackend(width: 120, height: 40), store = SnapshotStore(), commands = CommandQueue()
        let recorder = LoopRecorder()
        backend.enqueueIdle()
        backend.enqueueResize(width: 60, height: 20)
        backend.enqueueIdle()
        backend.enqueueResize(width: 200, height: 60)
        backend.enqueue(.character("q"))
        _ = recordingLoop(backend, store, commands, recorder).run(workerFinished: { true })
        #expect(recorder.sizes.map { "\($0.0)x\($0.1)" } == ["120x40", "60x20", "200x60"])
        #expect(recorder.keys.first == .resize)
        #expect(backend.screens.last?.width == 200)
    }

    @Test func theLoopRendersWithTheThemeItWasGiven() {
        let backend = MemoryBackend(colors: 0), store = SnapshotStore(), commands = CommandQueue(), recorder = LoopRecorder()
        backend.enqueue(.character("q"))
        _ = recordingLoop(backend, store, commands, recorder, theme: .mono).run(workerFinished: { true })
        #expect(recorder.themes.allSatisfy { $0 == .mono })
    }

    @Test(arguments: [Key.character("q"), Key.controlC])
    func theDashboardReducerQuits(on key: Key) {
        let backend = MemoryBackend(), store = SnapshotStore(), commands = CommandQueue()
        store.publish(loopSnapshot(step: 3))
        backend.enqueue(key)
        let loop = AppLoop(backend: backend, store: store, commands: commands, theme: .dark)
        loop.quitSignal = { 0 }
        let exit = loop.run(workerFinished: { true })
        #expect(exit.reason == .quitKey)
        #expect(commands.drain().last == .quit)
        #expect(backend.screens.last?.width == 120)
    }
}

@Suite struct TerminalPieceTests {
    @Test func ncursesKeysDecode() {
        let ok: Int32 = 0, keyCode: Int32 = 0o400, timeout: Int32 = -1
        #expect(NcursesBackend.decode(status: ok, code: 9) == .tab)
        #expect(NcursesBackend.decode(status: ok, code: 10) == .enter)
        #expect(NcursesBackend.decode(status: ok, code: 27) == .escape)
        #expect(NcursesBackend.decode(status: ok, code: 3) == .controlC)
        #expect(NcursesBackend.decode(status: ok, code: 12) == .controlL)
        #expect(NcursesBackend.decode(status: ok, code: 127) == .backspace)
        #expect(NcursesBackend.decode(status: ok, code: 32) == .character(" "))
        #expect(NcursesBackend.decode(status: ok, code: 0x65E5) == .character("日"))
        #expect(NcursesBackend.decode(status: ok, code: 1) == nil)
        #expect(NcursesBackend.decode(status: keyCode, code: 0o403) == .up)
        #expect(NcursesBackend.decode(status: keyCode, code: 0o541) == .backTab)
        #expect(NcursesBackend.decode(status: keyCode, code: 0o527) == .enter)
        #expect(NcursesBackend.decode(status: keyCode, code: 0o632) == .resize)
        #expect(NcursesBackend.decode(status: keyCode, code: 0o410 + 5) == .function(5))
        #expect(NcursesBackend.decode(status: keyCode, code: 0o523) == .pageUp)
        #expect(NcursesBackend.decode(status: timeout, code: 0) == nil)
    }

    @Test(arguments: [8, 16])
    func aLimitedThemeUsesOnlyThatManyColours(colors: Int) {
        let theme = Theme.dark.limited(to: colors)
        let styles = [theme.border, theme.borderFocused, theme.title, theme.text, theme.dim, theme.key, theme.good,
                      theme.bad, theme.warning, theme.masked] + theme.series
        let all = styles.flatMap { [$0.foreground, $0.background] } + theme.ramp + theme.categorical
        for color in all {
            if case .indexed(let i) = color { #expect(Int(i) < colors, "colour \(i) with \(colors) colours") }
        }
        #expect(Theme.dark.limited(to: 256) == Theme.dark)
        #expect(Theme.mono.limited(to: 8) == Theme.mono)
    }

    @Test func wideCharactersPushLaterTextByTwoColumns() {
        var screen = Screen(width: 20, height: 2)
        screen.put("ab日本語cd", x: 0, y: 0)
        #expect(screen[2, 0].scalar == "日")
        #expect(screen[3, 0].scalar == nil)      // right half: the backend skips it
        #expect(screen[6, 0].scalar == "語")
        #expect(screen[8, 0].scalar == "c")
        #expect(screen.row(0).hasPrefix("ab日本語cd"))

        // A bordered line: wide text clipped to the inside never moves or eats the right border.
        screen.set(0, 1, "│")
        screen.set(19, 1, "│")
        screen.put("日本語日本語日本語日本語", x: 1, y: 1, clip: Rect(x: 1, y: 1, width: 18, height: 1))
        #expect(screen[19, 1].scalar == "│")
        let columns = screen.row(1).unicodeScalars.reduce(0) { $0 + Screen.displayWidth($1) }
        #expect(columns == 20)
    }

    @Test func asciiFallbackKeepsShapes() {
        #expect(asciiFallback("a") == "a")
        #expect(asciiFallback("─") == "-")
        #expect(asciiFallback("│") == "|")
        #expect(asciiFallback("┌") == "+")
        #expect(asciiFallback("█") == "#")
        #expect(asciiFallback("\u{2800}") == " ")
        #expect(asciiFallback("\u{28FF}") == ":")
        #expect(asciiFallback("日") == "?")
    }

    @Test func memoryBackendPlaysItsScript() {
        let backend = MemoryBackend(width: 10, height: 3)
        var ran = false
        backend.enqueue(.up)
        backend.enqueue { ran = true }
        backend.enqueueResize(width: 4, height: 2)
        #expect(backend.readKey(timeoutMillis: 0) == .up)
        #expect(backend.readKey(timeoutMillis: 0) == nil && ran)
        #expect(backend.readKey(timeoutMillis: 0) == .resize)
        #expect(backend.width == 4 && backend.height == 2)
        #expect(backend.readKey(timeoutMillis: 0) == nil)
        #expect(backend.pending == 0)
        backend.draw(Screen(width: 4, height: 2))
        #expect(backend.screens.count == 1)
    }
}
