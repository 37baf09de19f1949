# Shared by the tmux end-to-end scripts (sourced, not run): a fresh tmux server (-L socket) per case,
# LANG=C.UTF-8, remain-on-exit, and a wrapper that prints the app's exit status and the tty flags
# afterwards (TUI_GUIDE §4.2). Every wait polls for exactly what the check after it reads, with a
# deadline; nothing sleeps and hopes.
# Before sourcing: BIN (the binary); STATUS, the regex of the step counter (`step N/M`), may be set
# any time before step_now is used. Sets WORK (a temporary folder, removed on exit unless KEEP_WORK=1),
# TMUX_TMPDIR, `failures`; E2E_COLS × E2E_ROWS (default 120×40) is the size of every new case.

unset TMUX NO_COLOR ESCDELAY
command -v tmux >/dev/null || { echo "FAIL tmux is not installed (apt-get install tmux)"; exit 1; }
[ -x "$BIN" ] || { echo "FAIL no binary at $BIN"; exit 1; }

WORK=$(mktemp -d)
export TMUX_TMPDIR="$WORK"   # the servers' sockets go with the folder
SOCKETS=()
BACKGROUND_PIDS=()
cleanup() {
    for s in "${SOCKETS[@]}"; do tmux -L "$s" kill-server 2>/dev/null; done
    for p in "${BACKGROUND_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
[ -n "${KEEP_WORK:-}" ] && echo "work: $WORK"
cd "$WORK"
failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

cat >tmux.conf <<'EOF'
set -g default-terminal tmux-256color
set -g remain-on-exit on
set -g history-limit 5000
set -g escape-time 0
EOF
# wrap.sh PIDFILE CMD…: runs CMD in the foreground (its pid in PIDFILE), then shows how it ended.
# It traps INT/TERM (not ignores: the child would inherit SIG_IGN) so Ctrl-C does not kill it.
cat >wrap.sh <<'EOF'
#!/usr/bin/env bash
trap ':' INT TERM
pidfile=$1; shift
sh -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@"
status=$?
# One line in one write, with a sentinel last: a wait for the whole line sees all of it or none.
flags=$(stty -a | tr ' ;' '\n\n' | grep -E '^-?(icrnl|isig|icanon|echo)$' | tr '\n' ' ')
printf 'EXIT=%s STTY: %sEND\n' "$status" "$flags"
while :; do sleep 3600; done
EOF
chmod +x wrap.sh

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_case NAME [-e VAR=VALUE …] -- CMD…: a new tmux server running CMD under wrap.sh.
start_case() {
    CASE=$1; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1" "$2"); shift 2; done
    shift
    S="reformer-e2e-$$-${#SOCKETS[@]}"
    SOCKETS+=("$S")
    PIDFILE="$WORK/$CASE.pid"
    local command
    command=$(printf '%q ' "$WORK/wrap.sh" "$PIDFILE" "$@")
    tmux -L "$S" -f "$WORK/tmux.conf" new-session -d -s e2e -x "${E2E_COLS:-120}" -y "${E2E_ROWS:-40}" \
        -e LANG=C.UTF-8 -e SWIFT_BACKTRACE=interactive=no -e TMPDIR="$WORK" "${envs[@]}" "$command"
}
cap() { tmux -L "$S" capture-pane -p -t e2e "$@"; }
show() { echo "---- pane ($CASE) ----"; cap -S - | grep -v '^$' | tail -"${E2E_ROWS:-50}"; echo "----"; }
pane() { tmux -L "$S" display-message -p -t e2e "$1"; }
app_pid() { cat "$PIDFILE" 2>/dev/null; }

# wait_for SECONDS REGEX [capture options]: until the pane shows REGEX (grep -E).
wait_for() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) pattern=$2; shift 2
    until cap "$@" | grep -qE -- "$pattern"; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# wait_gone SECONDS REGEX: until the pane no longer shows REGEX.
wait_gone() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    while cap | grep -qE -- "$2"; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# wait_text SECONDS TEXT: until the pane shows TEXT (fixed string).
wait_text() {
    local deadline=$(( $(now_ms) + $1 * 1000 ))
    until cap | grep -qF -- "$2"; do
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# wait_all SECONDS REGEX…: until one capture of the pane shows every REGEX (grep -E); the capture is
# left in PANE_NOW, the first pattern still missing at the deadline in WAIT_MISSING.
wait_all() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) pattern missing; shift
    while :; do
        PANE_NOW=$(cap -J)
        missing=""
        for pattern in "$@"; do echo "$PANE_NOW" | grep -qE -- "$pattern" || { missing=$pattern; break; }; done
        [ -z "$missing" ] && return 0
        [ "$(now_ms)" -ge "$deadline" ] && { WAIT_MISSING=$missing; return 1; }
        sleep 0.05
    done
}

# The step counter: the largest match of $STATUS (`step N/M`) on screen (the status line's is the newest), read
# until two captures in a row agree, so a capture taken while the app is redrawing the number is
# never taken for a value.
step_read() { cap | grep -oE "$STATUS" | sed -E 's/step ([0-9]+)\/.*/\1/' | sort -n | tail -1; }
step_now() {
    local a b tries=0
    a=$(step_read)
    while :; do
        sleep 0.02
        b=$(step_read)
        [ "$a" = "$b" ] && { echo "$a"; return; }
        a=$b
        tries=$((tries + 1))
        [ $tries -ge 50 ] && { echo "$b"; return; }
    done
}
# wait_step_above SECONDS N: until the counter exceeds N.
wait_step_above() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) s
    while :; do
        s=$(step_now)
        [ -n "$s" ] && [ "$s" -gt "$2" ] && return 0
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
# The wrapper's one status line, sentinel last (see wrap.sh).
EXIT_LINE='^EXIT=[0-9]+ STTY: .*END$'
# wait_exit SECONDS: until the wrapper's status line is on the pane. From that one capture it sets
# PANE_TEXT (the whole history, wrapped lines joined), EXIT_STATUS and STTY_FLAGS, so every check after
# it reads what the wait saw: the app's own output comes before the status line, so all of it is there.
wait_exit() {
    local deadline=$(( $(now_ms) + $1 * 1000 )) line
    while :; do
        PANE_TEXT=$(cap -J -S -)
        line=$(echo "$PANE_TEXT" | grep -E -- "$EXIT_LINE" | tail -1)
        if [ -n "$line" ]; then
            EXIT_STATUS=${line#EXIT=}
            EXIT_STATUS=${EXIT_STATUS%% *}
            STTY_FLAGS=$(echo "$line" | sed -E 's/^.*STTY: (.*)END$/\1/; s/ +$//')
            return 0
        fi
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
# check_exit NAME HOW SECONDS [checkpoint]: exit 0, tty flags restored, alternate screen off, and with
# `checkpoint` a trainer_state.json in $RUN.
check_exit() {
    local name=$1 how=$2 seconds=$3 want_checkpoint=${4:-} ok=1 written=""
    if ! wait_exit "$seconds"; then fail "$name: no exit status line $seconds s after $how"; show; return 1; fi
    [ "$EXIT_STATUS" = 0 ] || { fail "$name: $how → EXIT=$EXIT_STATUS"; ok=0; }
    if [ -n "$want_checkpoint" ]; then
        if [ -f "$RUN/trainer_state.json" ]; then written=", checkpoint written"; else fail "$name: no $RUN/trainer_state.json after $how"; ok=0; fi
    fi
    if ! echo " $STTY_FLAGS " | grep -qE ' icanon ' || ! echo " $STTY_FLAGS " | grep -qE ' echo '; then
        fail "$name: terminal not restored after $how (STTY: $STTY_FLAGS)"; ok=0
    fi
    [ "$(pane '#{alternate_on}')" = 0 ] || { fail "$name: alternate screen still on after $how"; ok=0; }
    if [ $ok = 1 ]; then pass "$name: $how → EXIT=0$written, $STTY_FLAGS, alternate screen off"; else show; return 1; fi
}
check_restored() { check_exit "$1" "$2" 60; }

# end_case: quit the app if it still runs (so it is not writing while the folder goes), stop tmux.
end_case() {
    local pid
    pid=$(app_pid)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        tmux -L "$S" send-keys -t e2e q
        wait_exit 60 || kill -KILL "$pid" 2>/dev/null
    fi
    tmux -L "$S" kill-server 2>/dev/null
}
