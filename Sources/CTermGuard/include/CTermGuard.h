/* CTermGuard: puts the terminal back on every exit path — quit signals, crashes, atexit — and
 * keeps stderr readable while curses owns the screen (TUI_GUIDE §2.6). State (saved termios,
 * signal flags, restore string) lives in CTermGuard.c, not in a header (TUI_GUIDE §1.3).
 *
 * Dashboard order:  tg_install(); tg_redirect_stderr(log); newterm(...);
 *                   tg_set_restore_sequence(sgr0 + cnorm + rmcup + mouse-off);
 *                   loop while tg_quit_signal() == 0 ...;
 *                   endwin(); tg_disarm_terminal(); tg_restore_stderr(); print a summary.
 * Headless trainer: tg_install_headless(); loop while tg_quit_signal() == 0; checkpoint; exit. */
#ifndef CTERMGUARD_H
#define CTERMGUARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Saves the terminal's termios (stdout's, else stdin's), installs flag handlers for SIGINT,
 * SIGTERM and SIGHUP (the third SIGINT restores the terminal and _exit(130)s, for a wedged loop),
 * installs crash handlers for SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE and SIGABRT that restore
 * the terminal and then hand the signal to the previously installed action (Swift's backtracer),
 * and registers tg_restore_now with atexit. Call once, before newterm; later calls do nothing.
 * Returns 0 when a terminal state was saved, 1 when neither stdout nor stdin is a terminal
 * (handlers are installed anyway), -1 when a sigaction call failed (errno set). */
int tg_install(void);

/* For a trainer without a screen: only the SIGINT/SIGTERM flag handlers (third SIGINT still
 * _exit(130)s). No termios, no crash handlers. Returns 0, or -1 with errno set. */
int tg_install_headless(void);

/* The signal number of the first quit request (SIGINT, SIGTERM or SIGHUP) since install or the
 * last tg_clear_quit, or 0 if none. Cheap: poll it once per frame or training step. */
int tg_quit_signal(void);

/* Forgets a handled quit request and resets the SIGINT count. */
void tg_clear_quit(void);

/* Sets the bytes written to stdout when the guard restores the terminal itself (crash, third
 * SIGINT, exit without endwin), and arms that restore. Build it after newterm from terminfo:
 * sgr0 + cnorm + rmcup, then ESC[?1000l ESC[?1002l ESC[?1003l ESC[?1006l. The string is copied.
 * NULL or "" disarms (same as tg_disarm_terminal). Returns 0, or -1 if longer than 511 bytes. */
int tg_set_restore_sequence(const char *sequence);

/* Call right after endwin(): the terminal is already restored, so later restores must neither
 * rewrite rmcup (it would move the cursor) nor reapply the termios. */
void tg_disarm_terminal(void);

/* Sends fd 2 to `logpath` (created or truncated, mode 0644) while curses owns the screen, keeping
 * the old fd 2 to put back. Returns 0, or -1 with errno set (EBUSY if already redirected). */
int tg_redirect_stderr(const char *logpath);

/* Puts the original fd 2 back. Returns 0, or -1 if stderr was not redirected. */
int tg_restore_stderr(void);

/* Restores whatever is still armed: writes the restore sequence, reapplies the saved termios, puts
 * fd 2 back and, if the terminal had to be restored here, replays the tail of the stderr log so
 * the reason for the exit is visible. Idempotent; registered with atexit by the installers.
 * Only async-signal-safe calls inside. */
void tg_restore_now(void);

/* The calling thread's kernel id (gettid is not importable into Swift). */
int tg_gettid(void);

/* Sets the calling thread's nice value (Linux: setpriority on the thread id affects only that
 * thread). Use only on threads you own. Returns 0, or -1 with errno set. */
int tg_set_thread_nice(int nice_value);

#ifdef __cplusplus
}
#endif

#endif /* CTERMGUARD_H */
