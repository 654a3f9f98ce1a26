/* netpulsectl-apps.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-apps.h"
#include "netpulsectl-layout.h"
#include "netpulsectl-table.h"

typedef struct {
  guint64 tx_bytes;
  guint64 rx_bytes;
} Closed;

struct _NetpulsectlApps
{
  GHashTable *closed;   /* app key → Closed: totals of its closed connections */
};

static void
app_free (NetpulsectlApp *app)
{
  g_free (app->app_id);
  g_free (app);
}

NetpulsectlApps *
netpulsectl_apps_new (void)
{
  NetpulsectlApps *apps = g_new0 (NetpulsectlApps, 1);

  apps->closed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return apps;
}

void
netpulsectl_apps_free (NetpulsectlApps *apps)
{
  if (apps == NULL)
    return;
  g_hash_table_unref (apps->closed);
  g_free (apps);
}

/* Identity {{{1 */

const char *
netpulsectl_record_app_id (const NetpulseRecord *record)
{
  /* Until the helper names applications, the command name does. */
  if (record->app_id[0] != '\0')
    return record->app_id;
  return record->comm[0] != '\0' ? record->comm : "-";
}

guint8
netpulsectl_record_app_kind (const NetpulseRecord *record)
{
  return record->app_id[0] != '\0' ? record->app_kind : NETPULSE_APP_KIND_PROCESS;
}

/* "kind\nid": the kind has no newline, so the first one ends it, whatever
 * the id holds. */
static char *
app_key (guint8      kind,
         const char *app_id)
{
  return g_strdup_printf ("%s\n%s", netpulse_app_kind_name (kind), app_id);
}

static char *
record_key (const NetpulseRecord *record)
{
  return app_key (netpulsectl_record_app_kind (record), netpulsectl_record_app_id (record));
}

void
netpulsectl_apps_add_closed (NetpulsectlApps      *apps,
                             const NetpulseRecord *record)
{
  char *key = record_key (record);
  Closed *closed = g_hash_table_lookup (apps->closed, key);

  if (closed == NULL)
    {
      closed = g_new0 (Closed, 1);
      g_hash_table_insert (apps->closed, key, closed);
    }
  else
    g_free (key);

  closed->tx_bytes += record->tx_bytes;
  closed->rx_bytes += record->rx_bytes;
}

/* Adding up {{{1 */

static NetpulsectlApp *
lookup_app (GHashTable  *by_key,
            const char  *key,
            guint8       kind,
            const char  *app_id)
{
  NetpulsectlApp *app = g_hash_table_lookup (by_key, key);

  if (app == NULL)
    {
      app = g_new0 (NetpulsectlApp, 1);
      app->app_id = g_strdup (app_id);
      app->app_kind = kind;
      g_hash_table_insert (by_key, g_strdup (key), app);
    }
  return app;
}

static void
add_record (NetpulsectlApp       *app,
            GHashTable           *pids,
            const char           *key,
            const NetpulseRecord *record)
{
  gboolean smoothed = record->tx_rate_avg != 0 || record->rx_rate_avg != 0;

  app->connections++;
  app->tx_rate += smoothed ? record->tx_rate_avg : record->tx_rate;
  app->rx_rate += smoothed ? record->rx_rate_avg : record->rx_rate;
  app->tx_bytes += record->tx_bytes;
  app->rx_bytes += record->rx_bytes;

  if (record->pid != 0)
    {
      g_autofree char *pid_key = g_strdup_printf ("%u\n%s", record->pid, key);

      if (g_hash_table_add (pids, g_steal_pointer (&pid_key)))
        app->processes++;
    }
}

static int
compare_apps (gconstpointer a,
              gconstpointer b)
{
  const NetpulsectlApp *x = *(NetpulsectlApp * const *) a;
  const NetpulsectlApp *y = *(NetpulsectlApp * const *) b;
  double rx = x->tx_rate + x->rx_rate, ry = y->tx_rate + y->rx_rate;
  guint64 tx = x->tx_bytes + x->rx_bytes, ty = y->tx_bytes + y->rx_bytes;
  int cmp;

  if (rx != ry)
    return rx > ry ? -1 : 1;
  if (tx != ty)
    return tx > ty ? -1 : 1;
  cmp = g_strcmp0 (x->app_id, y->app_id);
  return cmp != 0 ? cmp : (int) x->app_kind - (int) y->app_kind;
}

GPtrArray *
netpulsectl_apps_collect (NetpulsectlApps *apps,
                          GPtrArray       *records)
{
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) pids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) app_free);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < records->len; i++)
    {
      const NetpulseRecord *record = g_ptr_array_index (records, i);
      g_autofree char *k = record_key (record);
      NetpulsectlApp *app = lookup_app (by_key, k, netpulsectl_record_app_kind (record),
                                        netpulsectl_record_app_id (record));

      add_record (app, pids, k, record);
    }

  g_hash_table_iter_init (&iter, apps->closed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *id = strchr (key, '\n') + 1;
      g_autofree char *kind = g_strndup (key, id - 1 - (const char *) key);
      NetpulsectlApp *app = lookup_app (by_key, key, netpulse_app_kind_from_name (kind), id);
      const Closed *closed = value;

      app->tx_bytes += closed->tx_bytes;
      app->rx_bytes += closed->rx_bytes;
    }

  g_hash_table_iter_init (&iter, by_key);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (rows, value);
  g_ptr_array_sort (rows, compare_apps);
  return rows;
}

/* Printing {{{1 */

enum {
  COL_PROCS, COL_CONNS, COL_APP, COL_KIND, COL_RX_RATE, COL_TX_RATE, COL_RX, COL_TX, COL_TOTAL,
  N_COLUMNS
};

/* An application id is at most 128 bytes: shortened in the middle, as a
 * reverse-DNS name or a path keeps its meaning at both ends. */
#define APP_MIN_CELLS 20

/* As in the connection table: the name and the rates stay the longest. */
static const NetpulsectlColumn columns[N_COLUMNS] = {
  /* Translators: column titles of `netpulsectl monitor --by app`: number of
   * processes, of connections, the application, how it was identified */
  [COL_PROCS]   = { N_("PROCS"), TRUE,  5 },
  [COL_CONNS]   = { N_("CONNS"), TRUE,  6 },
  [COL_APP]     = { N_("APP"),   FALSE, 0, APP_MIN_CELLS },
  [COL_KIND]    = { N_("KIND"),  FALSE, 9 },
  [COL_RX_RATE] = { N_("RX/s"),  TRUE,  1 },
  [COL_TX_RATE] = { N_("TX/s"),  TRUE,  2 },
  [COL_RX]      = { N_("RX"),    TRUE,  7 },
  [COL_TX]      = { N_("TX"),    TRUE,  8 },
  [COL_TOTAL]   = { N_("TOTAL"), TRUE,  3 },
};

static char **
format_cells (gconstpointer item,
              gpointer      user_data)
{
  const NetpulsectlApp *app = item;
  char **cells = g_new0 (char *, N_COLUMNS + 1);

  cells[COL_PROCS] = g_strdup_printf ("%u", app->processes);
  cells[COL_CONNS] = g_strdup_printf ("%u", app->connections);
  cells[COL_APP] = g_strdup (app->app_id);
  cells[COL_KIND] = g_strdup (netpulse_app_kind_name (app->app_kind));
  cells[COL_RX_RATE] = netpulse_format_rate (app->rx_rate, FALSE);
  cells[COL_TX_RATE] = netpulse_format_rate (app->tx_rate, FALSE);
  cells[COL_RX] = netpulse_format_bytes (app->rx_bytes);
  cells[COL_TX] = netpulse_format_bytes (app->tx_bytes);
  cells[COL_TOTAL] = netpulse_format_bytes (app->rx_bytes + app->tx_bytes);
  netpulsectl_cells_make_safe (cells, N_COLUMNS);
  return cells;
}

void
netpulsectl_apps_format (GPtrArray *rows,
                         guint      max_rows,
                         guint      width,
                         GString   *out)
{
  guint more = netpulsectl_layout_append_items (columns, N_COLUMNS, rows, max_rows, format_cells,
                                                NULL, width, out);

  if (more > 0)
    g_string_append_printf (out,
                            ngettext ("… %u more application\n",
                                      "… %u more applications\n", more),
                            more);
}

void
netpulsectl_app_append_json (const NetpulsectlApp *app,
                             guint64               ts_ns,
                             GString              *out)
{
  char tx[G_ASCII_DTOSTR_BUF_SIZE], rx[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "{\"type\":\"app\",\"ts_ns\":%" G_GUINT64_FORMAT ",\"app_id\":", ts_ns);
  netpulse_text_append_json_string (out, app->app_id);

  /* Whatever the locale's decimal separator. */
  g_ascii_formatd (tx, sizeof tx, "%.1f", app->tx_rate);
  g_ascii_formatd (rx, sizeof rx, "%.1f", app->rx_rate);
  g_string_append_printf (out, ",\"app_kind\":\"%s\",\"processes\":%u,\"connections\":%u,"
                          "\"tx_bytes\":%" G_GUINT64_FORMAT ",\"rx_bytes\":%" G_GUINT64_FORMAT ","
                          "\"tx_rate\":%s,\"rx_rate\":%s}",
                          netpulse_app_kind_name (app->app_kind), app->processes, app->connections,
                          app->tx_bytes, app->rx_bytes, tx, rx);
}
