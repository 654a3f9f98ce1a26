/* netpulse-test-hooks-rows.c — the view dump's rows and selection, and
 * selecting a row (NETPULSE_SELECT_ROW, at a tick with
 * NETPULSE_SELECT_AT_TICK).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-test-hooks"

#include "config.h"

#include <adwaita.h>

#include "netpulse-app-group.h"
#include "netpulse-columns.h"
#include "netpulse-connection.h"
#include "netpulse-test-hooks-private.h"
#include "netpulse-text.h"

/* "# history <i> <rx_bytes> <tx_bytes> <rx,…> <tx,…>": what row @i's
 * sparkline draws (its last NETPULSE_ROW_HISTORY_LENGTH samples, oldest
 * first, B/s) next to its totals, so that a test can tell whose traffic
 * a graph shows. */
static void
append_samples (GString                 *out,
                const NetpulseHistory   *history,
                NetpulseConnectionStore *store)
{
  double rx[NETPULSE_ROW_HISTORY_LENGTH], tx[NETPULSE_ROW_HISTORY_LENGTH];
  char value[G_ASCII_DTOSTR_BUF_SIZE];

  netpulse_history_get (history, netpulse_connection_store_get_tick (store), NETPULSE_ROW_HISTORY_LENGTH, rx, tx);
  for (guint i = 0; i < NETPULSE_ROW_HISTORY_LENGTH; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "," : "", g_ascii_formatd (value, sizeof value, "%.1f", rx[i]));
  g_string_append_c (out, ' ');
  for (guint i = 0; i < NETPULSE_ROW_HISTORY_LENGTH; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? "," : "", g_ascii_formatd (value, sizeof value, "%.1f", tx[i]));
}

static void
dump_history (GString                 *out,
              guint                    index,
              NetpulseRow             *row,
              NetpulseConnectionStore *store)
{
  g_string_append_printf (out, "# history %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " ", index,
                          netpulse_row_get_rx_bytes (row), netpulse_row_get_tx_bytes (row));
  append_samples (out, netpulse_row_get_history (row), store);
  g_string_append_c (out, '\n');
}

/* "# header-history <tick> <rx,…> <tx,…>": the newest samples that the
 * header's graph draws, at the store's tick. */
void
_netpulse_test_hooks_dump_header_history (GString        *out,
                                          NetpulseWindow *window)
{
  g_string_append_printf (out, "# header-history %" G_GUINT64_FORMAT " ",
                          netpulse_connection_store_get_tick (window->store));
  append_samples (out, window->shown_history, window->store);
  g_string_append_c (out, '\n');
}

/* "# app <i> <connections> <kind> <URI-escaped app id> <URI-escaped name>
 * <shared scale>": row @i is an application. */
static void
dump_app (GString             *out,
          guint                index,
          NetpulseAppGroup    *app,
          NetpulseViewOptions *options)
{
  g_autofree char *id = g_uri_escape_string (netpulse_app_group_get_app_id (app), NULL, FALSE);
  g_autofree char *name = g_uri_escape_string (netpulse_row_get_display_name (NETPULSE_ROW (app)), NULL, FALSE);
  char scale[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "# app %u %u %s %s %s %s\n", index, netpulse_app_group_get_n_connections (app),
                          netpulse_app_kind_name (netpulse_app_group_get_kind (app)), id, name,
                          g_ascii_formatd (scale, sizeof scale, "%.1f", netpulse_view_options_get_shared_scale (options)));
}

static void
dump_row (GString     *out,
          NetpulseRow *row)
{
  g_autofree char *remote = NULL;
  const NetpulseRecord *r = NETPULSE_IS_CONNECTION (row)
                            ? netpulse_connection_get_record (NETPULSE_CONNECTION (row)) : NULL;
  char rx[G_ASCII_DTOSTR_BUF_SIZE], tx[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *comm = NULL;
  g_autofree char *safe_remote = NULL;

  /* Name and address as the app shows them (raw, they could break the
   * line). */
  remote = r != NULL ? netpulse_format_remote (r) : g_strdup ("-");
  g_string_append_printf (out, "%s\t%u\t%s\t%s\t%s\t%s\n",
                          netpulse_text_safe (netpulse_row_get_comm (row), &comm),
                          netpulse_row_get_pid (row),
                          netpulse_text_safe (remote, &safe_remote),
                          g_ascii_formatd (rx, sizeof rx, "%.1f", netpulse_row_get_rx_rate (row)),
                          g_ascii_formatd (tx, sizeof tx, "%.1f", netpulse_row_get_tx_rate (row)),
                          netpulse_row_get_closed (row) ? "closed"
                          : r != NULL ? netpulse_tcp_state_name (r->state) : "process");
}

void
_netpulse_test_hooks_dump_rows (GString        *out,
                                NetpulseWindow *window)
{
  GListModel *rows = _netpulse_window_get_rows (window);
  guint n = g_list_model_get_n_items (rows);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (rows, i);
      g_autoptr(NetpulseRow) row = netpulse_columns_row_from_item (item);

      if (row == NULL)
        continue;
      dump_history (out, i, row, window->store);
      if (NETPULSE_IS_APP_GROUP (row))
        dump_app (out, i, NETPULSE_APP_GROUP (row), window->options);
      dump_row (out, row);
    }
}

/* Where the selection is, and which row the detail pane shows: a
 * connection's remote endpoint, as the rows' dump gives it, and any row's
 * process name (URI-escaped). */
void
_netpulse_test_hooks_dump_selection (GString        *out,
                                     NetpulseWindow *window)
{
  guint selected = gtk_single_selection_get_selected (window->selection);
  g_autofree char *remote = netpulse_detail_pane_dup_remote (window->detail_pane);
  NetpulseRow *row = netpulse_detail_pane_get_row (window->detail_pane);
  g_autofree char *comm = row != NULL ? g_uri_escape_string (netpulse_row_get_comm (row), NULL, FALSE) : NULL;

  if (selected == GTK_INVALID_LIST_POSITION)
    g_string_append (out, "# selected=none");
  else
    g_string_append_printf (out, "# selected=%u", selected);
  g_string_append_printf (out, " detail-remote=%s detail-comm=%s detail-shown=%d\n", remote != NULL ? remote : "-",
                          comm != NULL ? comm : "-", adw_flap_get_reveal_flap (window->flap));
}

/* Selects (and, for a process, expands) row @position. */
void
_netpulse_test_hooks_select_row (NetpulseWindow *window,
                                 guint           position)
{
  g_autoptr(GObject) slot = g_list_model_get_item (G_LIST_MODEL (window->selection), position);
  gpointer item = NETPULSE_IS_ROW_SLOT (slot) ? netpulse_row_slot_get_item (NETPULSE_ROW_SLOT (slot)) : NULL;

  if (item == NULL)
    return;
  if (GTK_IS_TREE_LIST_ROW (item))
    gtk_tree_list_row_set_expanded (GTK_TREE_LIST_ROW (item), TRUE);
  gtk_single_selection_set_selected (window->selection, position);
}

/* Once the store reached the tick asked for, after that tick's rows are
 * in but before the window sorts them again (the store says its tick
 * first): a row selected while the list goes on changing. */
static void
on_tick (NetpulseConnectionStore *store,
         GParamSpec              *pspec,
         NetpulseWindow          *window)
{
  guint64 wanted = g_ascii_strtoull (g_getenv ("NETPULSE_SELECT_AT_TICK"), NULL, 10);

  if (netpulse_connection_store_get_tick (store) < wanted)
    return;
  g_signal_handlers_disconnect_by_func (store, on_tick, window);
  _netpulse_test_hooks_select_row (window, (guint) g_ascii_strtoull (g_getenv ("NETPULSE_SELECT_ROW"), NULL, 10));
}

void
_netpulse_test_hooks_select_at_tick (NetpulseWindow *window)
{
  if (g_getenv ("NETPULSE_SELECT_AT_TICK") == NULL || g_getenv ("NETPULSE_SELECT_ROW") == NULL)
    return;
  g_signal_connect_object (window->store, "notify::tick", G_CALLBACK (on_tick), window, 0);
}
