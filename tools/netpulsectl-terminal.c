/* netpulsectl-terminal.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "netpulsectl-layout.h"
#include "netpulsectl-terminal.h"

/* xterm's, as every terminal emulator in use understands them. */
#define ALTERNATE_SCREEN_ON   "\033[?1049h"
#define ALTERNATE_SCREEN_OFF  "\033[?1049l"
#define CURSOR_HIDE           "\033[?25l"
#define CURSOR_SHOW           "\033[?25h"
#define CURSOR_HOME           "\033[H"
#define CLEAR_TO_LINE_END     "\033[K"
#define CLEAR_TO_SCREEN_END   "\033[J"

struct _NetpulsectlTerminal
{
  NetpulsectlTerminalFunc  on_resize;
  NetpulsectlTerminalFunc  on_quit;
  gpointer                 user_data;

  gboolean                 is_tty;
  gboolean                 entered;
  gboolean                 keys;         /* stdin's mode changed */
  struct termios           saved;        /* stdin's mode before */
  guint                    winch_source;
  guint                    stdin_source;
};

static gboolean
on_winch (gpointer user_data)
{
  NetpulsectlTerminal *self = user_data;

  self->on_resize (self->user_data);
  return G_SOURCE_CONTINUE;
}

NetpulsectlTerminal *
netpulsectl_terminal_new (NetpulsectlTerminalFunc on_resize,
                          NetpulsectlTerminalFunc on_quit,
                          gpointer                user_data)
{
  NetpulsectlTerminal *self = g_new0 (NetpulsectlTerminal, 1);

  self->on_resize = on_resize;
  self->on_quit = on_quit;
  self->user_data = user_data;
  self->is_tty = isatty (STDOUT_FILENO);
  if (self->is_tty)
    self->winch_source = g_unix_signal_add (SIGWINCH, on_winch, self);
  return self;
}

void
netpulsectl_terminal_free (NetpulsectlTerminal *self)
{
  if (self == NULL)
    return;
  netpulsectl_terminal_leave (self);
  g_clear_handle_id (&self->winch_source, g_source_remove);
  g_free (self);
}

gboolean
netpulsectl_terminal_is_tty (NetpulsectlTerminal *self)
{
  return self->is_tty;
}

static gboolean
window_size (struct winsize *size)
{
  return ioctl (STDOUT_FILENO, TIOCGWINSZ, size) == 0 && size->ws_col > 0;
}

guint
netpulsectl_terminal_get_columns (NetpulsectlTerminal *self)
{
  struct winsize size;
  const char *columns;
  guint64 value;

  if (self->is_tty)
    return window_size (&size) ? size.ws_col : 80;

  /* A pipe has no width; a script may still ask for one. */
  columns = g_getenv ("COLUMNS");
  if (columns != NULL &&
      g_ascii_string_to_unsigned (columns, 10, 1, G_MAXUINT16, &value, NULL))
    return (guint) value;
  return 0;
}

guint
netpulsectl_terminal_get_rows (NetpulsectlTerminal *self)
{
  struct winsize size;

  if (self->is_tty && window_size (&size))
    return size.ws_row;
  return 0;
}

static void
write_all (const char *text)
{
  fputs (text, stdout);
  fflush (stdout);
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  NetpulsectlTerminal *self = user_data;
  char keys[64];
  ssize_t n = read (fd, keys, sizeof keys);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* The terminal hung up: no more keys (SIGHUP ends us anyway). */
      self->stdin_source = 0;
      return G_SOURCE_REMOVE;
    }

  for (ssize_t i = 0; i < n; i++)
    if (keys[i] == 'q' || keys[i] == 'Q')
      {
        self->on_quit (self->user_data);
        break;
      }
  return G_SOURCE_CONTINUE;
}

/* Keys one by one, without echo; output processing and signals (^C) stay
 * as they were. */
static void
read_keys (NetpulsectlTerminal *self)
{
  struct termios mode;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &self->saved) != 0)
    return;

  mode = self->saved;
  mode.c_lflag &= ~(ICANON | ECHO);
  mode.c_cc[VMIN] = 1;
  mode.c_cc[VTIME] = 0;
  if (tcsetattr (STDIN_FILENO, TCSANOW, &mode) != 0)
    return;
  self->keys = TRUE;
  self->stdin_source = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, self);
}

void
netpulsectl_terminal_enter (NetpulsectlTerminal *self)
{
  if (self->entered || !self->is_tty)
    return;
  self->entered = TRUE;
  write_all (ALTERNATE_SCREEN_ON CURSOR_HIDE);
  read_keys (self);
}

void
netpulsectl_terminal_leave (NetpulsectlTerminal *self)
{
  if (!self->entered)
    return;
  self->entered = FALSE;

  g_clear_handle_id (&self->stdin_source, g_source_remove);
  if (self->keys)
    {
      /* TCSAFLUSH: keys typed meanwhile are not left to the shell. */
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &self->saved);
      self->keys = FALSE;
    }
  write_all (CURSOR_SHOW ALTERNATE_SCREEN_OFF);
}

void
netpulsectl_terminal_append_frame (const char *text,
                                   guint       columns,
                                   guint       rows,
                                   GString    *out)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);

  /* The text ends with a newline: no line after it. */
  if (n > 0 && lines[n - 1][0] == '\0')
    n--;
  if (rows > 0 && n > rows)
    n = rows;

  g_string_append (out, CURSOR_HOME);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *line = columns > 0 ? netpulsectl_text_fit (lines[i], columns, FALSE)
                                          : g_strdup (lines[i]);

      if (i > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, line);
      g_string_append (out, CLEAR_TO_LINE_END);
    }
  g_string_append (out, CLEAR_TO_SCREEN_END);
}
