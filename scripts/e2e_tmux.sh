#!/usr/bin/env bash
# End-to-end dashboard checks in tmux with the release binary (TUI_GUIDE §4.2), through the helpers of
# scripts/e2e_tmux_lib.sh: a fresh tmux server (-L socket) per case, LANG=C.UTF-8, remain-on-exit, and
# a wrapper that prints the app's exit status and the tty flags afterwards. Every wait polls with a
# deadline; nothing sleeps and hopes.
#   1 start: the status line's `step N/M` counter advances, alternate screen on
#   2 space pauses (counter still for >= 1.5 s), space resumes
#   3 `?` shows help (key latency printed), Esc closes it
#   4 resize to 60x20 → "too small"; back to 120x40 → dashboard again
#   5 `q` → exit 0, checkpoint written, terminal restored (icanon echo, alternate screen off)
#   6 SIGTERM → the same; 7 Ctrl-C → the same
#   8 NO_COLOR=1 → no SGR colour codes (bold/dim/reverse/underline only)
#   9 TERM=dumb, a TERM without terminfo, and stdout a pipe → headless `step …` progress lines
#  10 `explore --task copy` (standalone explorer): "Stage 1/6 · Vectors", → walks every stage by name
#     (Enter drills from Chunking into Attention, Esc comes back), Esc quits → exit 0, terminal restored
#  11 dashboard `h`: the explorer opens on the current batch ("Stage 1/6"), training pauses, → walks to
#     "Stage 6/6 · Merging rounds", Esc returns to the dashboard and the counter advances again, `q` → exit 0
#  12 `experiment copy --steps 40`: the Table 2 grid beside the paper's, the status line's step counter,
#     the Full row filling in; `q` → exit 0 and "interrupted"; `--resume` in a new dashboard fills all
#     20 cells, shows R1–R6 and FINISHED, `q` → exit 0, terminal restored
# Usage: REFORMER_TUI_BIN=path/to/reformer-tui scripts/e2e_tmux.sh   (KEEP_WORK=1 keeps the folder)
# E2E_HELP_TEXT overrides the text expected in the help overlay (default "Keys").
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=$(cd "$(dirname "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")" && pwd)/$(basename "${REFORMER_TUI_BIN:-.build/release/reformer-tui}")
HELP_TEXT=${E2E_HELP_TEXT:-Keys}
TOO_SMALL='[Tt]oo small'
STEPS=100000
STATUS="step [0-9]+/$STEPS"
source "$(pwd)/scripts/e2e_tmux_lib.sh"
# start_dashboard NAME [env…]: trains the copy task into $WORK/NAME-run and waits for the counter to move.
start_dashboard() {
    local name=$1; shift
    RUN="$WORK/$name-run"
    start_case "$name" "$@" -- "$BIN" train --task copy --steps "$STEPS" --checkpoint "$RUN"
    if ! wait_for 60 "$STATUS"; then fail "$name: no status line with 'step N/$STEPS' within 60 s"; show; return 1; fi
    if ! wait_step_above 60 0; then fail "$name: step counter never left 0"; show; return 1; fi
}
check_clean_exit() { check_exit "$1" "$2" 90 checkpoint; }
# The explorer's stage titles, in order ("Stage k/6 · <name>" in its box title).
STAGES=("Stage 1/6 · Vectors" "Stage 2/6 · Hashing" "Stage 3/6 · Sorting" "Stage 4/6 · Chunking"
        "Stage 5/6 · Attention" "Stage 6/6 · Merging rounds")
# walk_stages NAME: from stage 1, → to stage 6, each stage's title seen; returns 1 at the first miss.
walk_stages() {
    local name=$1 i
    for i in 1 2 3 4 5; do
        tmux -L "$S" send-keys -t e2e Right
        if ! wait_text 30 "${STAGES[$i]}"; then fail "$name: → did not reach '${STAGES[$i]}'"; show; return 1; fi
    done
    pass "$name: → walked ${STAGES[1]} … ${STAGES[5]}"
}

# --- 1. start: the counter advances -----------------------------------------------------------
if start_dashboard start; then
    a=$(step_now)
    if wait_step_above 60 "$a"; then pass "start: status line counter advances (step $a → $(step_now)/$STEPS)"; else fail "start: counter stuck at $a"; show; fi
    [ "$(pane '#{alternate_on}')" = 1 ] && pass "start: alternate screen on" || fail "start: alternate screen off while running"
fi
end_case

# --- 2. space pauses and resumes --------------------------------------------------------------
if start_dashboard pause; then
    # How long a step takes here: the counter must hold still for 1.5 s and for 4 steps' time.
    t0=$(now_ms); s0=$(step_now)
    wait_step_above 60 $((s0 + 1)) || fail "pause: fewer than 2 steps in 60 s"
    steps_done=$(( $(step_now) - s0 )); [ "$steps_done" -ge 1 ] || steps_done=1
    per_step=$(( ($(now_ms) - t0) / steps_done ))
    hold=$(( per_step * 4 > 1500 ? per_step * 4 : 1500 ))
    tmux -L "$S" send-keys -t e2e Space
    # The worker takes commands between steps, so once the status line says PAUSED the counter on
    # the same screen is final: it must then hold still for 1.5 s and for 4 steps' time.
    if wait_for 60 'PAUSED'; then
        last=$(step_now); t0=$(now_ms); moved=""
        while [ $(( $(now_ms) - t0 )) -lt "$hold" ]; do
            sleep 0.1
            s=$(step_now)
            [ "$s" != "$last" ] && { moved=$s; break; }
        done
        if [ -z "$moved" ]; then
            pass "pause: space shows PAUSED and holds the counter at step $last for $hold ms (~$per_step ms/step)"
            tmux -L "$S" send-keys -t e2e Space
            if wait_step_above 60 "$last"; then pass "pause: space again resumes (step $last → $(step_now))"; else fail "pause: counter did not resume from $last"; show; fi
        else
            fail "pause: counter moved from $last to $moved while PAUSED"; show
        fi
    else
        fail "pause: no PAUSED on the status line within 60 s of space"; show
    fi
fi
end_case

# --- 3. help overlay and key latency ----------------------------------------------------------
if start_dashboard help; then
    if cap | grep -qF -- "$HELP_TEXT"; then
        fail "help: '$HELP_TEXT' already on screen before '?' (set E2E_HELP_TEXT to overlay-only text)"; show
    else
        t0=$(now_ms)
        tmux -L "$S" send-keys -t e2e '?'
        deadline=$(( t0 + 30000 ))
        until cap | grep -qF -- "$HELP_TEXT" || [ "$(now_ms)" -ge "$deadline" ]; do sleep 0.01; done
        t1=$(now_ms)
        if cap | grep -qF -- "$HELP_TEXT"; then
            pass "help: '?' shows '$HELP_TEXT'"
            echo "     key latency ('?' → help on screen, measured through tmux, 10 ms polling): $((t1 - t0)) ms"
            tmux -L "$S" send-keys -t e2e Escape
            t0=$(now_ms)
            if wait_gone 30 "$HELP_TEXT"; then pass "help: Esc closes it ($(( $(now_ms) - t0 )) ms)"; else fail "help: still shown after Esc"; show; fi
        else
            fail "help: '$HELP_TEXT' not shown within 30 s of '?'"; show
        fi
    fi
fi
end_case

# --- 4. resize: too small and back ------------------------------------------------------------
if start_dashboard resize; then
    tmux -L "$S" resize-window -t e2e -x 60 -y 20
    if wait_for 30 "$TOO_SMALL"; then
        pass "resize: 60x20 shows '$(cap | grep -E "$TOO_SMALL" | head -1 | sed -E 's/^ *//; s/ *$//')'"
        tmux -L "$S" resize-window -t e2e -x 120 -y 40
        if wait_gone 30 "$TOO_SMALL" && wait_for 30 "$STATUS"; then pass "resize: back at 120x40 the dashboard returns"; else fail "resize: no recovery at 120x40"; show; fi
    else
        fail "resize: no 'too small' message at 60x20"; show
    fi
fi
end_case

# --- 5. q: clean exit with a checkpoint ---------------------------------------------------------
if start_dashboard quit; then
    tmux -L "$S" send-keys -t e2e q
    check_clean_exit quit "q"
fi
end_case

# --- 6. SIGTERM -------------------------------------------------------------------------------
if start_dashboard sigterm; then
    kill -TERM "$(app_pid)"
    check_clean_exit sigterm "SIGTERM"
fi
end_case

# --- 7. Ctrl-C --------------------------------------------------------------------------------
if start_dashboard ctrlc; then
    tmux -L "$S" send-keys -t e2e C-c
    check_clean_exit ctrlc "Ctrl-C"
fi
end_case

# --- 8. NO_COLOR ------------------------------------------------------------------------------
if start_dashboard nocolor -e NO_COLOR=1; then
    # Every SGR parameter on screen; colours are 30–38, 40–48, 90–97, 100–107 (39/49 = default).
    colours=$(cap -e | grep -oE $'\e\\[[0-9;:]*m' | sed -E $'s/^\e\\[//; s/m$//' | tr ';:' '\n\n' \
        | grep -E '^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$' | sort -u | tr '\n' ' ')
    if [ -z "$colours" ]; then
        pass "NO_COLOR=1: no SGR colour codes ($(cap -e | grep -oE $'\e\\[[0-9;]*m' | sort -u | wc -l) distinct SGR sequences, none a colour)"
    else
        fail "NO_COLOR=1: colour SGR parameters on screen: $colours"
    fi
fi
end_case
# The same dashboard without NO_COLOR does use colour (else the check above proves nothing).
if start_dashboard colour; then
    if cap -e | grep -qE $'\e\\[(3[0-7]|38;5;[0-9]+|9[0-7])m'; then pass "colour: without NO_COLOR the dashboard uses colour"; else fail "colour: no colour codes without NO_COLOR"; fi
fi
end_case

# --- 9. no terminal: headless progress lines ----------------------------------------------------
for term in dumb unknown-terminal; do
    RUN="$WORK/$term-run"
    start_case "$term" -- env TERM=$term "$BIN" train --task copy --steps 30 --log-every 10 --checkpoint "$RUN"
    if wait_exit 120; then
        if [ "$EXIT_STATUS" = 0 ] && echo "$PANE_TEXT" | grep -qE '^step 30/30 '; then
            pass "TERM=$term: headless lines ($(echo "$PANE_TEXT" | grep -cE '^step [0-9]+/30 ') 'step N/30' lines), EXIT=0"
        else
            fail "TERM=$term: no headless progress"; show
        fi
        [ "$(pane '#{alternate_on}')" = 0 ] || fail "TERM=$term: alternate screen on"
    else
        fail "TERM=$term: still running after 120 s"; show
    fi
    end_case
done

"$BIN" train --task copy --steps 30 --log-every 10 --checkpoint "$WORK/pipe-run" 2>&1 </dev/null | cat >pipe.log
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ] && grep -qE '^step 30/30 ' pipe.log && ! grep -q $'\e' pipe.log; then
    pass "stdout a pipe: headless lines ($(grep -cE '^step [0-9]+/30 ' pipe.log) 'step N/30' lines, no escape codes), exit 0"
else
    fail "stdout a pipe: exit $status"; cat pipe.log
fi

# --- 10. standalone explorer: explore --task copy -------------------------------------------------
if "$BIN" explore --help >/dev/null 2>&1; then
    start_case explore -- "$BIN" explore --task copy
    if wait_text 60 "${STAGES[0]}"; then
        pass "explore: first screen shows '${STAGES[0]}'"
        [ "$(pane '#{alternate_on}')" = 1 ] || fail "explore: alternate screen off while exploring"
        if walk_stages explore; then
            # Drill: back to Chunking, Enter → its chunk's Attention, Esc → Chunking again.
            tmux -L "$S" send-keys -t e2e Left Left
            if wait_text 30 "${STAGES[3]}"; then
                tmux -L "$S" send-keys -t e2e Enter
                if wait_text 30 "${STAGES[4]} (from Chunking"; then
                    tmux -L "$S" send-keys -t e2e Escape
                    if wait_gone 30 "\\(from Chunking" && wait_text 30 "${STAGES[3]}"; then pass "explore: Enter drills from Chunking into Attention, Esc comes back"
                    else fail "explore: Esc did not leave the drill"; show; fi
                else
                    fail "explore: Enter in Chunking did not drill into Attention"; show
                fi
            else
                fail "explore: ← ← did not return to '${STAGES[3]}'"; show
            fi
        fi
        tmux -L "$S" send-keys -t e2e Escape
        check_restored explore "Esc"
    else
        fail "explore: no '${STAGES[0]}' within 60 s"; show
    fi
    end_case
else
    fail "explore: '$BIN explore --help' failed (no explore command in this binary)"
fi

# --- 11. the explorer from the dashboard: h, walk, Esc back, training resumes ---------------------
if start_dashboard explorer; then
    tmux -L "$S" send-keys -t e2e h
    if wait_text 60 "${STAGES[0]}"; then
        pass "dashboard h: the explorer opens ('${STAGES[0]}')"
        if wait_for 30 'PAUSED'; then pass "dashboard h: training paused while exploring"; else fail "dashboard h: status line not PAUSED"; show; fi
        walk_stages "dashboard h"
        if cap | grep -qE "$STATUS"; then pass "dashboard h: status line stays on top in the explorer"; else fail "dashboard h: no 'step N/$STEPS' in the explorer"; show; fi
        tmux -L "$S" send-keys -t e2e Escape
        if wait_gone 30 'Stage [1-6]/6' && wait_all 30 'Training curves' "$STATUS"; then
            s0=$(step_now)
            if wait_step_above 60 "$s0"; then pass "dashboard h: Esc returns to the dashboard and training resumes (step $s0 → $(step_now))"
            else fail "dashboard h: counter stuck at $s0 after leaving the explorer"; show; fi
        else
            fail "dashboard h: Esc did not return to the dashboard"; show
        fi
    else
        fail "dashboard h: no '${STAGES[0]}' within 60 s of h"; show
    fi
    tmux -L "$S" send-keys -t e2e q
    check_clean_exit explorer "q after exploring"
fi
end_case

# --- 12. the Table 2 experiment's dashboard ---------------------------------------------------------
EXP="$WORK/experiment"
start_case experiment -- "$BIN" experiment copy --steps 40 --out "$EXP"
if wait_all 60 "Table 2 · copy task · tier quick" "paper \(Kitaev et al\. 2020, Table 2\)"; then
    pass "experiment: the dashboard shows the grid beside the paper's"
    if wait_for 60 'step [0-9]+/40'; then pass "experiment: status line shows the model's step N/40"; else fail "experiment: no 'step N/40'"; show; fi
    # The Full row's own cell (full→full) appears once the Full model is trained and evaluated.
    if wait_for 120 '▶? *Full +[0-9]+\.[0-9] +[0-9]+\.[0-9]'; then
        pass "experiment: the Full row fills in ($(cap | grep -oE '[0-9]+/20 cells'))"
    else
        fail "experiment: the Full row never filled in"; show
    fi
    tmux -L "$S" send-keys -t e2e q
    if wait_exit 60 && [ "$EXIT_STATUS" = 0 ] && echo "$PANE_TEXT" | grep -q '^interrupted: '; then
        pass "experiment: q → EXIT=0, $(echo "$PANE_TEXT" | grep '^interrupted: ' | cut -c1-50)…"
    else
        fail "experiment: q did not stop the experiment cleanly"; show
    fi
else
    fail "experiment: no grid within 60 s"; show
fi
end_case
start_case experiment-resume -- "$BIN" experiment copy --out "$EXP" --resume
if wait_all 240 "20/20 cells" "FINISHED"; then
    if wait_all 30 'R1 +(pass|fail) full→full' 'R6 +report'; then
        pass "experiment --resume: all 20 cells, verdicts R1–R6 shown, FINISHED"
    else
        fail "experiment --resume: no verdict lines"; show
    fi
    tmux -L "$S" send-keys -t e2e q
    check_restored experiment-resume "q after the experiment"
    if echo "$PANE_TEXT" | grep -qE '^R1 (pass|fail) full→full'; then pass "experiment --resume: the grid and verdicts printed after the dashboard"; else fail "experiment --resume: no verdicts on stdout"; show; fi
else
    fail "experiment --resume: grid not complete within 240 s"; show
fi
end_case

if [ "$failures" -eq 0 ]; then echo "e2e_tmux: all passed"; else echo "e2e_tmux: $failures failure(s)"; fi
[ "$failures" -eq 0 ]
