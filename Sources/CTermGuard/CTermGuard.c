/* CTermGuard: signal and crash terminal restore (TUI_GUIDE §2.6). Everything reachable from a
 * signal handler uses only async-signal-safe calls (write, tcsetattr, dup2, close, lseek, pread,
 * sigaction, raise, _exit) and lock-free atomics; strings are prepared in normal context. */
#define _GNU_SOURCE
#include "CTermGuard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

enum {
  RESTORE_CAPACITY = 512, /* restore sequence bytes, including the terminating NUL */
  TAIL_BYTES = 8192,      /* how much of the stderr log a crash replays */
  HEADER_CAPACITY = 4200, /* "--- last lines of <path> ---" */
  SIGINTS_TO_FORCE_EXIT = 3,
};

/* ---- quit requests ------------------------------------------------------------------------- */

/* Lock-free atomics rather than volatile sig_atomic_t: the handler runs on whichever thread takes the
 * signal while other threads read and clear these (a data race for sig_atomic_t; ThreadSanitizer). */
static atomic_int quit_signal;  /* first SIGINT/SIGTERM/SIGHUP number, or 0 */
static atomic_int sigint_count; /* SIGINTs since install or tg_clear_quit */

/* ---- terminal -------------------------------------------------------------------------------- */

static struct termios saved_termios;
static int tty_fd = -1;                  /* the fd saved_termios came from; -1 if none */
static char restore_sequence[RESTORE_CAPACITY];
static atomic_int restore_length;        /* bytes of restore_sequence in use */
static atomic_int terminal_armed;        /* 1 while curses owns the screen (sequence set) */

/* ---- stderr redirection ---------------------------------------------------------------------- */

static atomic_int saved_stderr_fd = -1;  /* the original fd 2 while redirected, else -1 */
static atomic_int log_read_fd = -1;      /* read side of the log, for the crash replay */
static char replay_header[HEADER_CAPACITY];
static int replay_header_length;
static char tail_buffer[TAIL_BYTES];     /* static: a handler may run on a small alternate stack */
static atomic_int tail_replayed;

/* ---- installed handlers ---------------------------------------------------------------------- */

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
enum { CRASH_SIGNAL_COUNT = sizeof(crash_signals) / sizeof(crash_signals[0]) };
static struct sigaction previous_crash_actions[CRASH_SIGNAL_COUNT];
static int quit_handlers_installed;
static int crash_handlers_installed;
static int atexit_registered;

static void write_all(int fd, const char *bytes, size_t count) {
  while (count > 0) {
    ssize_t written = write(fd, bytes, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bytes += written;
    count -= (size_t)written;
  }
}

/* Writes the last TAIL_BYTES of the log to fd 2, starting at a line boundary. Once per process. */
static void replay_log_tail(int fd) {
  if (atomic_exchange(&tail_replayed, 1) != 0) return;
  off_t end = lseek(fd, 0, SEEK_END);
  if (end <= 0) return;
  off_t start = end > TAIL_BYTES ? end - TAIL_BYTES : 0;
  ssize_t count = pread(fd, tail_buffer, (size_t)(end - start), start);
  if (count <= 0) return;
  const char *text = tail_buffer;
  if (start > 0) {
    const char *newline = memchr(text, '\n', (size_t)count);
    if (newline != NULL) {
      count -= (newline + 1) - text;
      text = newline + 1;
    }
  }
  if (count <= 0) return;
  write_all(STDERR_FILENO, replay_header, (size_t)replay_header_length);
  write_all(STDERR_FILENO, text, (size_t)count);
  if (text[count - 1] != '\n') write_all(STDERR_FILENO, "\n", 1);
}

/* The one restore path. `forced` (crash, third SIGINT) reapplies the saved termios and replays
 * the log even when curses was not active, since the process is about to die abnormally. */
static void restore_terminal(int forced) {
  int armed = atomic_exchange(&terminal_armed, 0);
  if (armed) {
    int length = atomic_load(&restore_length);
    if (length > 0) write_all(STDOUT_FILENO, restore_sequence, (size_t)length);
  }
  if ((armed || forced) && tty_fd >= 0) tcsetattr(tty_fd, TCSANOW, &saved_termios);

  int original_stderr = atomic_exchange(&saved_stderr_fd, -1);
  if (original_stderr >= 0) {
    dup2(original_stderr, STDERR_FILENO);
    close(original_stderr);
    int log_fd = atomic_exchange(&log_read_fd, -1);
    if (log_fd >= 0) {
      if (armed || forced) replay_log_tail(log_fd);
      close(log_fd);
    }
  }
}

static void on_quit_signal(int signal_number) {
  int saved_errno = errno;
  int no_signal = 0;
  atomic_compare_exchange_strong(&quit_signal, &no_signal, signal_number);
  if (signal_number == SIGINT) {
    if (atomic_fetch_add(&sigint_count, 1) + 1 >= SIGINTS_TO_FORCE_EXIT) {
      restore_terminal(1);
      static const char message[] = "interrupted 3 times: terminal restored, exiting at once\n";
      write_all(STDERR_FILENO, message, sizeof(message) - 1);
      _exit(130);
    }
  }
  errno = saved_errno;
}

/* Restores, puts the previous action back and re-raises: the signal is blocked while this runs,
 * so it is delivered to the previous handler (Swift's backtracer, or the default action) as soon
 * as this handler returns, with the original register context. */
static void on_crash_signal(int signal_number, siginfo_t *info, void *context) {
  (void)info;
  (void)context;
  int saved_errno = errno;
  restore_terminal(1);
  for (int index = 0; index < CRASH_SIGNAL_COUNT; index++) {
    if (crash_signals[index] != signal_number) continue;
    struct sigaction previous = previous_crash_actions[index];
    if (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler == SIG_IGN) {
      previous.sa_handler = SIG_DFL; /* ignoring a fault would re-execute it forever */
    }
    sigaction(signal_number, &previous, NULL);
    break;
  }
  raise(signal_number);
  errno = saved_errno;
}

static void register_atexit_once(void) {
  if (atexit_registered) return;
  if (atexit(tg_restore_now) == 0) atexit_registered = 1;
}

static int install_quit_handlers(int include_hangup) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_quit_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &action, NULL) != 0) return -1;
  if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
  if (include_hangup && sigaction(SIGHUP, &action, NULL) != 0) return -1;
  return 0;
}

static int install_crash_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_sigaction = on_crash_signal;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  sigaddset(&action.sa_mask, SIGHUP);
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  for (int index = 0; index < CRASH_SIGNAL_COUNT; index++) {
    if (sigaction(crash_signals[index], &action, &previous_crash_actions[index]) != 0) return -1;
  }
  return 0;
}

int tg_install(void) {
  int result = 1;
  if (tty_fd < 0) {
    if (isatty(STDOUT_FILENO) && tcgetattr(STDOUT_FILENO, &saved_termios) == 0) {
      tty_fd = STDOUT_FILENO;
    } else if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
      tty_fd = STDIN_FILENO;
    }
  }
  if (tty_fd >= 0) result = 0;
  if (quit_handlers_installed < 2) {
    if (install_quit_handlers(1) != 0) return -1;
    quit_handlers_installed = 2;
  }
  if (!crash_handlers_installed) {
    if (install_crash_handlers() != 0) return -1;
    crash_handlers_installed = 1;
  }
  register_atexit_once();
  return result;
}

int tg_install_headless(void) {
  if (quit_handlers_installed == 0) {
    if (install_quit_handlers(0) != 0) return -1;
    quit_handlers_installed = 1;
  }
  register_atexit_once();
  return 0;
}

int tg_quit_signal(void) { return atomic_load(&quit_signal); }

void tg_clear_quit(void) {
  atomic_store(&quit_signal, 0);
  atomic_store(&sigint_count, 0);
}

int tg_set_restore_sequence(const char *sequence) {
  atomic_store(&terminal_armed, 0);
  atomic_store(&restore_length, 0);
  if (sequence == NULL || sequence[0] == '\0') return 0;
  size_t length = strlen(sequence);
  if (length >= RESTORE_CAPACITY) return -1;
  memcpy(restore_sequence, sequence, length + 1);
  atomic_store(&restore_length, (int)length);
  atomic_store(&terminal_armed, 1);
  return 0;
}

void tg_disarm_terminal(void) { atomic_store(&terminal_armed, 0); }

int tg_redirect_stderr(const char *logpath) {
  if (logpath == NULL || logpath[0] == '\0') {
    errno = EINVAL;
    return -1;
  }
  if (atomic_load(&saved_stderr_fd) >= 0) {
    errno = EBUSY;
    return -1;
  }
  int log_fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return -1;
  int read_fd = open(logpath, O_RDONLY | O_CLOEXEC);
  int original = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (read_fd < 0 || original < 0) {
    int saved_errno = errno;
    close(log_fd);
    if (read_fd >= 0) close(read_fd);
    if (original >= 0) close(original);
    errno = saved_errno;
    return -1;
  }
  fflush(stderr);
  if (dup2(log_fd, STDERR_FILENO) < 0) {
    int saved_errno = errno;
    close(log_fd);
    close(read_fd);
    close(original);
    errno = saved_errno;
    return -1;
  }
  close(log_fd);
  int length = snprintf(replay_header, sizeof(replay_header), "--- last lines of %s ---\n",
                        logpath);
  if (length < 0) length = 0;
  if (length >= (int)sizeof(replay_header)) length = (int)sizeof(replay_header) - 1;
  replay_header_length = length;
  atomic_store(&tail_replayed, 0);
  atomic_store(&log_read_fd, read_fd);
  atomic_store(&saved_stderr_fd, original);
  register_atexit_once();
  return 0;
}

int tg_restore_stderr(void) {
  int original = atomic_exchange(&saved_stderr_fd, -1);
  if (original < 0) return -1;
  fflush(stderr);
  dup2(original, STDERR_FILENO);
  close(original);
  int log_fd = atomic_exchange(&log_read_fd, -1);
  if (log_fd >= 0) close(log_fd);
  return 0;
}

void tg_restore_now(void) { restore_terminal(0); }

int tg_gettid(void) { return (int)syscall(SYS_gettid); }

int tg_set_thread_nice(int nice_value) {
  return setpriority(PRIO_PROCESS, (id_t)tg_gettid(), nice_value);
}
