/* netpulsectl-layout.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulsectl-layout.h"

#define ELLIPSIS "…"
#define GAP 2   /* cells between two columns */

/* Cells {{{1 */

static guint
unichar_cells (gunichar c)
{
  if (g_unichar_iszerowidth (c))
    return 0;
  return g_unichar_iswide (c) ? 2 : 1;
}

guint
netpulsectl_text_cells (const char *text)
{
  guint cells = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    cells += unichar_cells (g_utf8_get_char (p));
  return cells;
}

/* Where the longest start of @text that takes at most @budget cells ends. */
static const char *
head_end (const char *text,
          guint       budget)
{
  const char *p = text;
  guint used = 0;

  while (*p != '\0')
    {
      guint c = unichar_cells (g_utf8_get_char (p));

      if (used + c > budget)
        break;
      used += c;
      p = g_utf8_next_char (p);
    }
  return p;
}

/* Where the longest end of @text (ending at @end) that takes at most
 * @budget cells begins, not before @limit. */
static const char *
tail_start (const char *limit,
            const char *end,
            guint       budget)
{
  const char *p = end;
  guint used = 0;

  while (p > limit)
    {
      const char *prev = g_utf8_prev_char (p);
      guint c = unichar_cells (g_utf8_get_char (prev));

      if (used + c > budget)
        break;
      used += c;
      p = prev;
    }
  return p;
}

char *
netpulsectl_text_fit (const char *text,
                      guint       cells,
                      gboolean    middle)
{
  g_autofree char *valid = NULL;
  GString *out;
  const char *head, *tail, *end;
  guint budget;

  g_return_val_if_fail (text != NULL, NULL);

  /* Our cells are escaped already; this only guards the walk below. */
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  if (netpulsectl_text_cells (text) <= cells)
    return g_strdup (text);
  if (cells == 0)
    return g_strdup ("");

  budget = cells - 1;   /* the ellipsis takes one */
  end = text + strlen (text);
  if (middle)
    {
      /* The end holds the port: give it its half first. */
      tail = tail_start (text, end, budget / 2);
      head = head_end (text, budget - netpulsectl_text_cells (tail));
    }
  else
    {
      head = head_end (text, budget);
      tail = end;
    }

  out = g_string_new_len (text, head - text);
  g_string_append (out, ELLIPSIS);
  g_string_append (out, tail);
  return g_string_free (out, FALSE);
}

/* Column widths {{{1 */

static guint
line_cells (const guint *widths,
            const gboolean *shown,
            guint        n)
{
  guint total = 0, columns = 0;

  for (guint c = 0; c < n; c++)
    if (shown[c])
      {
        total += widths[c];
        columns++;
      }
  return columns > 0 ? total + GAP * (columns - 1) : 0;
}

static guint
shortest (const NetpulsectlColumn *column,
          guint                    natural)
{
  return column->min_cells > 0 ? MIN (natural, column->min_cells) : natural;
}

/* The shown column of the highest rank, or -1 when only rank 0 is left. */
static int
next_to_drop (const NetpulsectlColumn *columns,
              const gboolean          *shown,
              guint                    n)
{
  int found = -1;

  for (guint c = 0; c < n; c++)
    if (shown[c] && columns[c].drop_rank > 0 &&
        (found < 0 || columns[c].drop_rank > columns[found].drop_rank))
      found = c;
  return found;
}

/* Gives @room cells to the shortened columns, the one dropped last first. */
static void
share_room (const NetpulsectlColumn *columns,
            const gboolean          *shown,
            guint                    n,
            const guint             *natural,
            guint                    room,
            guint                   *widths)
{
  for (guint rank = 0; rank <= G_MAXUINT8 && room > 0; rank++)
    for (guint c = 0; c < n && room > 0; c++)
      if (shown[c] && columns[c].drop_rank == rank && widths[c] < natural[c])
        {
          guint more = MIN (room, natural[c] - widths[c]);

          widths[c] += more;
          room -= more;
        }
}

void
netpulsectl_layout_widths (const NetpulsectlColumn *columns,
                           guint                    n_columns,
                           const guint             *natural,
                           guint                    width,
                           guint                   *widths)
{
  g_autofree gboolean *shown = g_new (gboolean, n_columns);

  for (guint c = 0; c < n_columns; c++)
    {
      shown[c] = TRUE;
      widths[c] = natural[c];
    }
  if (width == 0 || line_cells (widths, shown, n_columns) <= width)
    return;

  for (;;)
    {
      guint least;
      int drop;

      for (guint c = 0; c < n_columns; c++)
        widths[c] = shortest (&columns[c], natural[c]);
      least = line_cells (widths, shown, n_columns);
      if (least <= width)
        {
          share_room (columns, shown, n_columns, natural, width - least, widths);
          break;
        }

      drop = next_to_drop (columns, shown, n_columns);
      if (drop < 0)
        break;   /* the lines will be cut */
      shown[drop] = FALSE;
    }

  for (guint c = 0; c < n_columns; c++)
    if (!shown[c])
      widths[c] = 0;
}

/* Table {{{1 */

static void
append_spaces (GString *out,
               guint    n)
{
  for (guint i = 0; i < n; i++)
    g_string_append_c (out, ' ');
}

static void
append_line (GString                 *out,
             const NetpulsectlColumn *columns,
             guint                    n_columns,
             const char * const      *cells,
             const guint             *widths)
{
  gboolean first = TRUE;
  int last = -1;

  for (guint c = 0; c < n_columns; c++)
    if (widths[c] > 0)
      last = c;

  for (guint c = 0; c < n_columns; c++)
    {
      g_autofree char *text = NULL;
      guint cells_used, pad;

      if (widths[c] == 0)
        continue;
      if (!first)
        append_spaces (out, GAP);
      first = FALSE;

      text = netpulsectl_text_fit (cells[c], widths[c], columns[c].min_cells > 0);
      cells_used = netpulsectl_text_cells (text);
      pad = cells_used < widths[c] ? widths[c] - cells_used : 0;
      if (columns[c].right)
        append_spaces (out, pad);
      g_string_append (out, text);
      if (!columns[c].right && (int) c != last)
        append_spaces (out, pad);
    }
  g_string_append_c (out, '\n');
}

void
netpulsectl_layout_append (const NetpulsectlColumn *columns,
                           guint                    n_columns,
                           GPtrArray               *rows,
                           guint                    width,
                           GString                 *out)
{
  g_autofree guint *natural = g_new (guint, n_columns);
  g_autofree guint *widths = g_new (guint, n_columns);
  g_autofree const char **titles = g_new (const char *, n_columns);

  for (guint c = 0; c < n_columns; c++)
    {
      titles[c] = _(columns[c].title);
      natural[c] = netpulsectl_text_cells (titles[c]);
    }
  for (guint i = 0; i < rows->len; i++)
    {
      char **cells = g_ptr_array_index (rows, i);

      for (guint c = 0; c < n_columns; c++)
        natural[c] = MAX (natural[c], netpulsectl_text_cells (cells[c]));
    }

  netpulsectl_layout_widths (columns, n_columns, natural, width, widths);

  append_line (out, columns, n_columns, titles, widths);
  for (guint i = 0; i < rows->len; i++)
    append_line (out, columns, n_columns, g_ptr_array_index (rows, i), widths);
}

guint
netpulsectl_layout_append_items (const NetpulsectlColumn *columns,
                                 guint                    n_columns,
                                 GPtrArray               *items,
                                 guint                    max_rows,
                                 NetpulsectlFormatRow     format,
                                 gpointer                 user_data,
                                 guint                    width,
                                 GString                 *out)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  guint shown = items->len;

  if (max_rows > 0 && shown > max_rows)
    shown = max_rows;
  for (guint i = 0; i < shown; i++)
    g_ptr_array_add (rows, format (g_ptr_array_index (items, i), user_data));

  netpulsectl_layout_append (columns, n_columns, rows, width, out);
  return items->len - shown;
}
