/* CNcurses: the wide-character ncurses API (ncursesw) as Swift can import it (TUI_GUIDE §1.2).
 * Macros and C globals that Swift 6 rejects become static inline functions here. Stateless on
 * purpose: anything with state (saved termios, signal flags) lives in the CTermGuard C target.
 * Only ReformerTUI's NcursesBackend.swift imports this module. */
#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H

/* Must precede curses.h: the importer defines neither _XOPEN_SOURCE nor _XOPEN_SOURCE_EXTENDED, and
 * without this cchar_t, setcchar, mvwadd_wch and wget_wch are not declared. */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <stdint.h>
#include <stdio.h>
#include <wchar.h>
#include <curses.h>
#include <term.h> /* tigetstr: terminfo strings for CTermGuard's restore sequence */

/* ---- globals Swift 6 refuses as shared mutable state ------------------------------------ */

static inline WINDOW *tui_stdscr(void) { return stdscr; }
static inline int tui_lines(void) { return LINES; }
static inline int tui_cols(void) { return COLS; }
/* Valid after start_color(). COLOR_PAIRS can be 65536: store it in an Int, not a short. */
static inline int tui_colors(void) { return COLORS; }
static inline int tui_color_pairs(void) { return COLOR_PAIRS; }

/* newterm on the process's stdout/stdin. Unlike initscr it returns NULL (instead of exiting)
 * when the terminal cannot be set up, e.g. an unknown TERM. */
static inline SCREEN *tui_newterm_stdio(void) { return newterm(NULL, stdout, stdin); }

/* A terminfo string capability, or NULL when it is absent (tigetstr's 0) or cancelled or not a
 * string capability (tigetstr's (char *)-1, awkward to test from Swift). */
static inline const char *tui_tigetstr(const char *capname) {
  char *s = tigetstr(capname);
  if (s == NULL || s == (char *)-1) return NULL;
  return s;
}

/* ---- attributes: our own bits, so no expression macro has to cross into Swift ------------- */

/* Unsigned literals, so Swift imports them as UInt32 like tui_attrs' parameter. */
#define TUI_ATTR_BOLD 1u
#define TUI_ATTR_DIM 2u
#define TUI_ATTR_REVERSE 4u
#define TUI_ATTR_UNDERLINE 8u

/* Maps TUI_ATTR_* bits to ncurses attr_t. Colors are never encoded here (COLOR_PAIR keeps only
 * 8 bits); the pair travels separately through setcchar's extended-pair argument. */
static inline attr_t tui_attrs(unsigned flags) {
  attr_t a = A_NORMAL;
  if (flags & TUI_ATTR_BOLD) a |= A_BOLD;
  if (flags & TUI_ATTR_DIM) a |= A_DIM;
  if (flags & TUI_ATTR_REVERSE) a |= A_REVERSE;
  if (flags & TUI_ATTR_UNDERLINE) a |= A_UNDERLINE;
  return a;
}

/* ---- drawing -------------------------------------------------------------------------------- */

/* Draws one Unicode scalar at (y, x) of stdscr with TUI_ATTR_* flags and color pair `pair`.
 * The pair goes through setcchar's `opts` pointer (ncurses >= 6.1 extended pairs), so pairs past
 * 255 and 32767 work. Writing the bottom-right cell returns ERR although the character is drawn
 * (the cursor cannot advance): callers may ignore the result there. */
static inline int tui_put_cell(int y, int x, uint32_t codepoint, unsigned flags, int pair) {
  wchar_t wc[2] = {(wchar_t)codepoint, L'\0'};
  cchar_t cc;
  if (setcchar(&cc, wc, tui_attrs(flags), 0, &pair) == ERR) return ERR;
  return mvwadd_wch(stdscr, y, x, &cc);
}

/* ---- mouse masks (expression macros in curses.h) ------------------------------------------ */

static inline mmask_t tui_mouse_all_events(void) { return ALL_MOUSE_EVENTS; }
static inline mmask_t tui_mouse_report_position(void) { return REPORT_MOUSE_POSITION; }
static inline mmask_t tui_mouse_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t tui_mouse_button1_released(void) { return BUTTON1_RELEASED; }
static inline mmask_t tui_mouse_button1_clicked(void) { return BUTTON1_CLICKED; }
/* Wheel up / wheel down on xterm-like terminals. */
static inline mmask_t tui_mouse_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t tui_mouse_button5_pressed(void) { return BUTTON5_PRESSED; }
/* What the dashboard asks for: left click to focus, wheel to scroll. */
static inline mmask_t tui_mouse_default_mask(void) {
  return BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED;
}

#endif /* CNCURSES_SHIM_H */
