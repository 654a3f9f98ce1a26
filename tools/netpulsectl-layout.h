/* netpulsectl-layout.h — text that fits a terminal: widths in display
 * cells, shortening with an ellipsis, and tables whose columns are dropped
 * or shortened by priority until they fit a width.
 *
 * Pure functions (no terminal, no records), so that the unit tests drive
 * them directly.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How many terminal cells @text (UTF-8) takes: wide (East Asian) characters
 * two, combining and zero-width ones none. */
guint       netpulsectl_text_cells         (const char  *text);

/* @text made to take at most @cells cells: cut at the end ("abcdefgh" →
 * "abcd…"), or, with @middle, in the middle so that both ends stay
 * ("[2001:db8::1]:443" → "[2001:…:1]:443").  Never cuts a character.
 * A copy of @text when it fits. */
char       *netpulsectl_text_fit           (const char  *text,
                                            guint        cells,
                                            gboolean     middle);

typedef struct {
  const char *title;       /* marked with N_(): translated when printed */
  gboolean    right;       /* numbers are right-aligned */
  guint       drop_rank;   /* 0: never dropped; else the highest rank goes first */
  guint       min_cells;   /* 0: never shortened; else shortened down to this many
                              cells (in the middle) before any column is dropped */
} NetpulsectlColumn;

/* The width of each of the @n_columns columns for rows whose cells are
 * @natural cells wide at most (titles included), in a line of at most
 * @width cells (0: no limit): 0 for a dropped column.  Shortens the
 * shortenable columns first, then drops columns by rank until the rest
 * fits; if even the columns of rank 0 do not fit, they keep their widths
 * (the caller cuts the lines). */
void        netpulsectl_layout_widths      (const NetpulsectlColumn *columns,
                                            guint                    n_columns,
                                            const guint             *natural,
                                            guint                    width,
                                            guint                   *widths);

/* Appends a title line and one line per row of @rows (each a char ** of
 * @n_columns cells, safe to print), columns aligned and two spaces apart,
 * fitting @width cells (0: no limit) as netpulsectl_layout_widths() says.
 * Every line ends with "\n". */
void        netpulsectl_layout_append      (const NetpulsectlColumn *columns,
                                            guint                    n_columns,
                                            GPtrArray               *rows,
                                            guint                    width,
                                            GString                 *out);

/* The cells of @item (g_strfreev()), safe to print. */
typedef char **(*NetpulsectlFormatRow) (gconstpointer item,
                                        gpointer      user_data);

/* netpulsectl_layout_append() of the first @max_rows (0: all) of @items,
 * each made into cells by @format; returns how many were left out. */
guint       netpulsectl_layout_append_items (const NetpulsectlColumn *columns,
                                             guint                    n_columns,
                                             GPtrArray               *items,
                                             guint                    max_rows,
                                             NetpulsectlFormatRow     format,
                                             gpointer                 user_data,
                                             guint                    width,
                                             GString                 *out);

G_END_DECLS
