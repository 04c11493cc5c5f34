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
#endif
