/* netpulsectl-terminal.h — the terminal netpulsectl monitor draws on: its
 * size (and changes of it), a full screen of its own with a fixed header
 * (like top), and keys read one by one ("q" quits).  Everything it changes
 * is put back by netpulsectl_terminal_leave(), which every exit path calls.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NetpulsectlTerminal NetpulsectlTerminal;

typedef void (*NetpulsectlTerminalFunc) (gpointer user_data);

/* For stdout.  @on_resize runs when the window size changed (SIGWINCH),
 * @on_quit when "q" was typed (only between enter and leave). */
NetpulsectlTerminal *netpulsectl_terminal_new     (NetpulsectlTerminalFunc  on_resize,
                                                   NetpulsectlTerminalFunc  on_quit,
                                                   gpointer                 user_data);
/* Leaves the screen first. */
void        netpulsectl_terminal_free             (NetpulsectlTerminal     *self);

/* Whether stdout is a terminal. */
gboolean    netpulsectl_terminal_is_tty           (NetpulsectlTerminal     *self);
/* The width to fit: the terminal's; for other output $COLUMNS when set;
 * 0 for no limit. */
guint       netpulsectl_terminal_get_columns      (NetpulsectlTerminal     *self);
/* The terminal's height, 0 when unknown or not a terminal. */
guint       netpulsectl_terminal_get_rows         (NetpulsectlTerminal     *self);

/* Switches to the alternate screen, hides the cursor and, when stdin is a
 * terminal too, reads it key by key without echo.  Idempotent. */
void        netpulsectl_terminal_enter            (NetpulsectlTerminal     *self);
/* Puts all of it back.  Idempotent; safe before enter. */
void        netpulsectl_terminal_leave            (NetpulsectlTerminal     *self);

/* A whole screen from @text (lines ending in "\n"): from the top left
 * corner, each line cut to @columns cells and cleared to its end, at most
 * @rows lines (0: all), no newline after the last (that would scroll the
 * header away), the rest of the screen cleared. */
void        netpulsectl_terminal_append_frame     (const char              *text,
                                                   guint                    columns,
                                                   guint                    rows,
                                                   GString                 *out);

G_END_DECLS
