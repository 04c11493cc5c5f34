#ifndef CONVTOP_CNCURSES_SHIM_H
#define CONVTOP_CNCURSES_SHIM_H
// Wide-character curses: must be defined before <curses.h> is read.
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <string.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// Swift cannot import curses' function-like macros and some globals; these
// inline wrappers expose exactly what the backend uses.
static inline WINDOW *convtop_stdscr(void) { return stdscr; }
static inline int convtop_lines(void) { return LINES; }
static inline int convtop_cols(void) { return COLS; }
static inline int convtop_colors(void) { return COLORS; }
static inline int convtop_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t convtop_attr_bold(void) { return A_BOLD; }
static inline attr_t convtop_attr_reverse(void) { return A_REVERSE; }
static inline attr_t convtop_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t convtop_attr_dim(void) { return A_DIM; }
static inline int convtop_key_resize(void) { return KEY_RESIZE; }
static inline int convtop_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int convtop_getmaxx(WINDOW *w) { return getmaxx(w); }

// Whether the locale chosen by setlocale(LC_ALL, "") encodes text as UTF-8.
static inline int convtop_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && strcmp(codeset, "UTF-8") == 0;
}

// Draws one character at (y, x) with attributes and an extended colour pair. Pairs above 255 only
// reach the screen through setcchar's `opts` argument, which Swift cannot pass portably.
static inline int convtop_put_cell(int y, int x, unsigned int codepoint, attr_t attrs, int pair) {
    wchar_t text[2] = { (wchar_t)codepoint, 0 };
    cchar_t cell;
    if (setcchar(&cell, text, attrs, 0, &pair) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

// The process's own stdout and stdin are C globals Swift 6 will not read outside an isolation domain.
static inline SCREEN *convtop_newterm(void) { return newterm(NULL, stdout, stdin); }

static inline int convtop_init_pair(int pair, int fg, int bg) { return init_extended_pair(pair, fg, bg); }
#endif
