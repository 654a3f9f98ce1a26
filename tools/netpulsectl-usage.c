/* netpulsectl-usage.c — `netpulsectl usage`: the usage history per
 * application (QueryUsage, see data/io.github.netpulse.Helper1.xml).
 *
 * The text form sums the range per application (or per application and
 * protocol, or in all), largest first, fitted to the terminal's width; the
 * JSON form gives every bucket's row as the helper sent it, plus the same
 * totals.  Large ranges are fetched page by page, each continuing after
 * the last row of the one before ("after").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netpulse-client.h"
#include "netpulse-record.h"
#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-layout.h"
#include "netpulsectl-private.h"

void
netpulsectl_rows_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  NetpulsectlRowsCall *call = user_data;

  call->reply = call->finish (NETPULSE_CLIENT (object), result, &call->truncated, &call->error);
  g_main_loop_quit (call->loop);
}

/* QueryUsage's "after" for the page that follows @rows: its last row's
 * start, application and protocol. */
static GVariant *
continuation (GVariant *rows)
{
  g_autoptr(GVariant) last = g_variant_get_child_value (rows, g_variant_n_children (rows) - 1);
  const char *kind, *app_id;
  guint64 start_ns;
  guint8 proto;

  g_variant_get (last, "(tt&s&syttu)", &start_ns, NULL, &kind, &app_id, &proto, NULL, NULL, NULL);
  return g_variant_new ("(tssy)", start_ns, kind, app_id, proto);
}

/* "24h", "7d", "30m", "90s", "2w" before @now, or an ISO 8601 time. */
static gboolean
parse_time (const char  *text,
            gint64       now_ns,
            guint64     *out_ns,
            GError     **error)
{
  g_autoptr(GDateTime) when = NULL;
  char *end = NULL;
  guint64 count = g_ascii_strtoull (text, &end, 10);
  gint64 unit_s = 0;

  if (end != text && end != NULL && end[0] != '\0' && end[1] == '\0')
    switch (end[0])
      {
      case 's': unit_s = 1; break;
      case 'm': unit_s = 60; break;
      case 'h': unit_s = 3600; break;
      case 'd': unit_s = 86400; break;
      case 'w': unit_s = 7 * 86400; break;
      default: break;
      }
  if (unit_s > 0 && count <= (guint64) (now_ns / G_GINT64_CONSTANT (1000000000)) / (guint64) unit_s)
    {
      *out_ns = (guint64) now_ns - count * (guint64) unit_s * G_GUINT64_CONSTANT (1000000000);
      return TRUE;
    }
  if (g_str_equal (text, "now"))
    {
      *out_ns = (guint64) now_ns;
      return TRUE;
    }
  when = g_date_time_new_from_iso8601 (text, NULL);
  if (when == NULL || g_date_time_to_unix (when) < 0)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        _("“%s” is not a time: use e.g. 90m, 24h, 7d, 2w or 2026-12-01T08:00:00Z"),
                        text), FALSE;
  *out_ns = (guint64) g_date_time_to_unix (when) * G_GUINT64_CONSTANT (1000000000) +
            (guint64) g_date_time_get_microsecond (when) * 1000;
  return TRUE;
}

typedef struct {
  char    *kind;
  char    *app_id;
  guint8   proto;
  guint64  rx, tx, connections;
} Total;

static void
total_free (gpointer data)
{
  Total *total = data;

  g_free (total->kind);
  g_free (total->app_id);
  g_free (total);
}

static int
compare_totals (gconstpointer a,
                gconstpointer b)
{
  const Total *x = *(const Total **) a, *y = *(const Total **) b;
  guint64 sx = x->rx + x->tx, sy = y->rx + y->tx;
  int by_name;

  if (sx != sy)
    return sx > sy ? -1 : 1;
  by_name = g_strcmp0 (x->app_id, y->app_id);
  return by_name != 0 ? by_name : (int) x->proto - (int) y->proto;
}

/* The range's totals per (kind, app id, proto) of @rows (all pages). */
static GPtrArray *
sum_rows (GPtrArray *pages)
{
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *totals = g_ptr_array_new_with_free_func (total_free);

  for (guint p = 0; p < pages->len; p++)
    {
      GVariantIter iter;
      guint64 start, end, rx, tx;
      const char *kind, *app_id;
      guint8 proto;
      guint32 conns;

      g_variant_iter_init (&iter, g_ptr_array_index (pages, p));
      while (g_variant_iter_next (&iter, "(tt&s&syttu)", &start, &end, &kind, &app_id, &proto, &rx, &tx, &conns))
        {
          g_autofree char *key = g_strdup_printf ("%s/%u/%s", kind, proto, app_id);
          Total *total = g_hash_table_lookup (by_key, key);

          if (total == NULL)
            {
              total = g_new0 (Total, 1);
              total->kind = g_strdup (kind);
              total->app_id = g_strdup (app_id);
              total->proto = proto;
              g_hash_table_insert (by_key, g_steal_pointer (&key), total);
              g_ptr_array_add (totals, total);
            }
          total->rx += rx;
          total->tx += tx;
          total->connections += conns;
        }
    }
  g_ptr_array_sort (totals, compare_totals);
  return totals;
}

static void
append_total_json (GString     *out,
                   const Total *total)
{
  g_string_append (out, "{\"app_kind\":");
  netpulse_text_append_json_string (out, total->kind);
  g_string_append (out, ",\"app_id\":");
  netpulse_text_append_json_string (out, total->app_id);
  g_string_append_printf (out, ",\"proto\":\"%s\",\"rx_bytes\":%" G_GUINT64_FORMAT
                          ",\"tx_bytes\":%" G_GUINT64_FORMAT ",\"connections\":%" G_GUINT64_FORMAT "}",
                          total->proto ? netpulse_proto_name (total->proto) : "",
                          total->rx, total->tx, total->connections);
}

static void
print_json (GPtrArray  *pages,
            GPtrArray  *totals,
            guint64     since_ns,
            guint64     until_ns,
            const char *granularity,
            const char *group)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean first = TRUE;

  g_string_append_printf (out, "{\"since_ns\":%" G_GUINT64_FORMAT ",\"until_ns\":%" G_GUINT64_FORMAT
                          ",\"granularity\":\"%s\",\"group\":\"%s\",\"buckets\":[",
                          since_ns, until_ns, granularity, group);
  for (guint p = 0; p < pages->len; p++)
    {
      GVariantIter iter;
      Total row = { 0 };
      guint64 start, end;
      guint32 conns;

      g_variant_iter_init (&iter, g_ptr_array_index (pages, p));
      while (g_variant_iter_next (&iter, "(tt&s&syttu)", &start, &end, &row.kind, &row.app_id,
                                  &row.proto, &row.rx, &row.tx, &conns))
        {
          row.connections = conns;
          g_string_append_printf (out, "%s{\"start_ns\":%" G_GUINT64_FORMAT ",\"end_ns\":%" G_GUINT64_FORMAT
                                  ",\"usage\":", first ? "" : ",", start, end);
          append_total_json (out, &row);
          g_string_append_c (out, '}');
          first = FALSE;
        }
    }
  g_string_append (out, "],\"totals\":[");
  for (guint i = 0; i < totals->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_total_json (out, g_ptr_array_index (totals, i));
    }
  g_string_append (out, "]}\n");
  fputs (out->str, stdout);
}

static guint
output_width (void)
{
  struct winsize size;
  const char *columns = g_getenv ("COLUMNS");

  if (isatty (STDOUT_FILENO) && ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return columns != NULL ? (guint) g_ascii_strtoull (columns, NULL, 10) : 0;
}

/* APPLICATION KIND [PROTO] DOWN UP TOTAL CONNS: the application's name is
 * shortened to what the numbers leave. */
static void
print_table (GPtrArray *totals,
             gboolean   by_proto)
{
  guint width = output_width ();
  guint numbers = 10 + 10 + 10 + 7 + 9 + (by_proto ? 6 : 0) + 6;
  guint app_cells = width > numbers + 12 ? width - numbers : 40;

  if (totals->len == 0)
    {
      g_print ("%s\n", _("No usage recorded in this range."));
      return;
    }
  g_print ("%-*s %-9s%s %10s %10s %10s %7s\n", (int) app_cells, _("APPLICATION"), _("KIND"),
           by_proto ? _(" PROTO") : "", _("DOWN"), _("UP"), _("TOTAL"), _("CONNS"));
  for (guint i = 0; i < totals->len; i++)
    {
      const Total *total = g_ptr_array_index (totals, i);
      g_autofree char *safe = netpulse_text_dup_safe (total->app_id[0] ? total->app_id : _("(unknown)"));
      g_autofree char *fitted = netpulsectl_text_fit (safe, app_cells, FALSE);
      g_autofree char *down = netpulse_format_bytes (total->rx);
      g_autofree char *up = netpulse_format_bytes (total->tx);
      g_autofree char *sum = netpulse_format_bytes (total->rx + total->tx);
      guint pad = app_cells > netpulsectl_text_cells (fitted) ? app_cells - netpulsectl_text_cells (fitted) : 0;

      g_print ("%s%*s %-9s%s%-*s %10s %10s %10s %7" G_GUINT64_FORMAT "\n", fitted, (int) pad, "",
               total->kind, by_proto ? " " : "", by_proto ? 5 : 0,
               by_proto ? netpulse_proto_name (total->proto) : "", down, up, sum, total->connections);
    }
}

int
netpulsectl_cmd_usage (int    argc,
                       char **argv)
{
  g_autofree char *since = NULL, *until = NULL, *by = NULL, *granularity = NULL, *app = NULL;
  gboolean json = FALSE, hosts = FALSE;
  const GOptionEntry entries[] = {
    { "since", 's', 0, G_OPTION_ARG_STRING, &since, N_("Start of the range: 90m, 24h, 7d, 2w or an ISO 8601 time (default 24h)"), N_("WHEN") },
    { "until", 'u', 0, G_OPTION_ARG_STRING, &until, N_("End of the range (default now)"), N_("WHEN") },
    { "by", 'b', 0, G_OPTION_ARG_STRING, &by, N_("Group by app, app,proto or total (default app)"), N_("GROUP") },
    { "granularity", 'g', 0, G_OPTION_ARG_STRING, &granularity, N_("minute, hour, day or auto (default auto)"), N_("LEVEL") },
    { "app", 'a', 0, G_OPTION_ARG_STRING, &app, N_("Only this application id"), N_("ID") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object with every bucket"), NULL },
    { "hosts", 'H', 0, G_OPTION_ARG_NONE, &hosts, N_("Each application’s remote hosts and ports instead (kept per hour: the 10 largest, the rest as “other hosts”)"), NULL },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(NetpulseClient) client = NULL;
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) totals = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now_ns = g_get_real_time () * 1000;
  guint64 since_ns, until_ns;
  g_autoptr(GVariant) after = NULL;
  int status;

  if (!netpulsectl_parse_options ("usage",
                                  _("Show how much each application downloaded and uploaded, from the "
                                    "usage history the helper records (see “netpulsectl recording”)."),
                                  entries, argc, argv, &status))
    return status;
  if (!parse_time (since ? since : "24h", now_ns, &since_ns, &error) ||
      !parse_time (until ? until : "now", now_ns, &until_ns, &error))
    return netpulsectl_usage_error ("usage", error->message);
  if (until_ns <= since_ns)
    return netpulsectl_usage_error ("usage", _("--until must be after --since"));
  if (by == NULL)
    by = g_strdup ("app");
  if (!g_str_equal (by, "app") && !g_str_equal (by, "app,proto") && !g_str_equal (by, "total"))
    return netpulsectl_usage_error ("usage", _("--by must be app, app,proto or total"));
  if (granularity == NULL)
    granularity = g_strdup ("auto");

  loop = g_main_loop_new (NULL, FALSE);
  client = netpulse_client_new ();
  if (hosts)
    return netpulsectl_usage_hosts (client, since_ns, until_ns, app, json);
  for (guint page = 0; page < NETPULSECTL_MAX_PAGES; page++)
    {
      g_auto(GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);
      NetpulsectlRowsCall call = { loop, netpulse_client_query_usage_finish, NULL, FALSE, NULL };

      if (app != NULL)
        g_variant_dict_insert (&filter, "app-id", "s", app);
      if (after != NULL)
        g_variant_dict_insert_value (&filter, "after", after);
      netpulse_client_query_usage_async (client, since_ns, until_ns, granularity, by,
                                         g_variant_dict_end (&filter), NULL, netpulsectl_rows_cb, &call);
      g_main_loop_run (loop);
      if (call.reply == NULL)
        {
          status = netpulsectl_report_error (call.error);
          g_clear_error (&call.error);
          return status;
        }
      g_ptr_array_add (pages, call.reply);
      if (!call.truncated || g_variant_n_children (call.reply) == 0)
        break;
      g_clear_pointer (&after, g_variant_unref);
      after = g_variant_ref_sink (continuation (call.reply));
    }

  totals = sum_rows (pages);
  if (json)
    print_json (pages, totals, since_ns, until_ns, granularity, by);
  else
    print_table (totals, g_str_equal (by, "app,proto"));
  return EXIT_OK;
}
