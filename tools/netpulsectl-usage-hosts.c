/* netpulsectl-usage-hosts.c — `netpulsectl usage --hosts`: each
 * application's remote hosts and ports over the range (QueryHosts, see
 * data/io.github.netpulse.Helper1.xml), summed over its hours, largest
 * first; the folded rest of each hour as "(other hosts)".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "netpulse-client.h"
#include "netpulse-record.h"
#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-private.h"

typedef struct {
  const char *kind, *app_id, *remote;   /* in the pages */
  guint8      proto;
  guint16     port;
  guint64     rx, tx, connections;
} Host;

static int
compare_hosts (gconstpointer a,
               gconstpointer b)
{
  const Host *x = *(const Host **) a, *y = *(const Host **) b;
  int by_app = g_strcmp0 (x->app_id, y->app_id);

  if (by_app != 0)
    return by_app;
  if (x->rx + x->tx != y->rx + y->tx)
    return x->rx + x->tx > y->rx + y->tx ? -1 : 1;
  by_app = g_strcmp0 (x->remote, y->remote);
  return by_app != 0 ? by_app : (int) x->port - (int) y->port;
}

/* One Host per (application, proto, remote, port) over all the hours. */
static GPtrArray *
sum_hosts (GPtrArray *pages)
{
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);

  for (guint p = 0; p < pages->len; p++)
    {
      GVariantIter iter;
      const char *kind, *app_id, *remote;
      guint8 proto;
      guint16 port;
      guint64 rx, tx;
      guint32 conns;

      g_variant_iter_init (&iter, g_ptr_array_index (pages, p));
      while (g_variant_iter_next (&iter, "(tt&s&sy&sqttu)", NULL, NULL, &kind, &app_id, &proto,
                                  &remote, &port, &rx, &tx, &conns))
        {
          g_autofree char *key = g_strdup_printf ("%s/%s/%u/%s/%u", kind, app_id, proto, remote, port);
          Host *host = g_hash_table_lookup (by_key, key);

          if (host == NULL)
            {
              host = g_new0 (Host, 1);
              *host = (Host) { kind, app_id, remote, proto, port, 0, 0, 0 };
              g_hash_table_insert (by_key, g_steal_pointer (&key), host);
              g_ptr_array_add (hosts, host);
            }
          host->rx += rx;
          host->tx += tx;
          host->connections += conns;
        }
    }
  g_ptr_array_sort (hosts, compare_hosts);
  return hosts;
}

static gboolean
is_folded (const Host *host)
{
  return host->proto == 0 && host->remote[0] == '\0' && host->port == 0;
}

static void
print_hosts_json (GPtrArray *hosts,
                  guint64    since_ns,
                  guint64    until_ns)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_string_append_printf (out, "{\"since_ns\":%" G_GUINT64_FORMAT ",\"until_ns\":%" G_GUINT64_FORMAT
                          ",\"hosts\":[", since_ns, until_ns);
  for (guint i = 0; i < hosts->len; i++)
    {
      const Host *host = g_ptr_array_index (hosts, i);

      g_string_append (out, i > 0 ? ",{\"app_kind\":" : "{\"app_kind\":");
      netpulse_text_append_json_string (out, host->kind);
      g_string_append (out, ",\"app_id\":");
      netpulse_text_append_json_string (out, host->app_id);
      g_string_append (out, ",\"remote\":");
      netpulse_text_append_json_string (out, host->remote);
      g_string_append_printf (out, ",\"remote_port\":%u,\"proto\":\"%s\",\"other\":%s,\"rx_bytes\":%"
                              G_GUINT64_FORMAT ",\"tx_bytes\":%" G_GUINT64_FORMAT ",\"connections\":%"
                              G_GUINT64_FORMAT "}", host->port,
                              host->proto ? netpulse_proto_name (host->proto) : "",
                              is_folded (host) ? "true" : "false", host->rx, host->tx, host->connections);
    }
  g_string_append (out, "]}\n");
  fputs (out->str, stdout);
}

static void
print_hosts_table (GPtrArray *hosts)
{
  const char *app = NULL;

  if (hosts->len == 0)
    {
      g_print ("%s\n", _("No remote hosts recorded in this range."));
      return;
    }
  for (guint i = 0; i < hosts->len; i++)
    {
      const Host *host = g_ptr_array_index (hosts, i);
      g_autofree char *down = netpulse_format_bytes (host->rx);
      g_autofree char *up = netpulse_format_bytes (host->tx);
      g_autofree char *remote = NULL;

      if (g_strcmp0 (app, host->app_id) != 0)
        {
          g_autofree char *safe = netpulse_text_dup_safe (host->app_id[0] ? host->app_id : _("(unknown)"));

          app = host->app_id;
          g_print ("%s%s (%s)\n", i > 0 ? "\n" : "", safe, host->kind);
          g_print ("  %-5s %-41s %10s %10s %7s\n", _("PROTO"), _("REMOTE"), _("DOWN"), _("UP"), _("CONNS"));
        }
      remote = is_folded (host) ? g_strdup (_("(other hosts)"))
               : strchr (host->remote, ':') != NULL ? g_strdup_printf ("[%s]:%u", host->remote, host->port)
               : g_strdup_printf ("%s:%u", host->remote[0] ? host->remote : "-", host->port);
      g_print ("  %-5s %-41s %10s %10s %7" G_GUINT64_FORMAT "\n",
               is_folded (host) ? "" : netpulse_proto_name (host->proto), remote, down, up, host->connections);
    }
}

int
netpulsectl_usage_hosts (NetpulseClient *client,
                         guint64         since_ns,
                         guint64         until_ns,
                         const char     *app,
                         gboolean        json)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(GVariant) after = NULL;

  for (guint page = 0; page < NETPULSECTL_MAX_PAGES; page++)
    {
      g_auto(GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);
      NetpulsectlRowsCall call = { loop, netpulse_client_query_hosts_finish, NULL, FALSE, NULL };
      g_autoptr(GVariant) last = NULL;
      const char *kind, *app_id, *remote;
      guint64 start_ns;
      guint16 port;
      guint8 proto;
      gsize n;

      if (app != NULL)
        g_variant_dict_insert (&filter, "app-id", "s", app);
      if (after != NULL)
        g_variant_dict_insert_value (&filter, "after", after);
      netpulse_client_query_hosts_async (client, since_ns, until_ns, g_variant_dict_end (&filter),
                                         NULL, netpulsectl_rows_cb, &call);
      g_main_loop_run (loop);
      if (call.reply == NULL)
        {
          int status = netpulsectl_report_error (call.error);

          g_clear_error (&call.error);
          return status;
        }
      g_ptr_array_add (pages, call.reply);
      n = g_variant_n_children (call.reply);
      if (!call.truncated || n == 0)
        break;
      last = g_variant_get_child_value (call.reply, n - 1);
      g_variant_get (last, "(tt&s&sy&sqttu)", &start_ns, NULL, &kind, &app_id, &proto, &remote, &port,
                     NULL, NULL, NULL);
      g_clear_pointer (&after, g_variant_unref);
      after = g_variant_ref_sink (g_variant_new ("(tssysq)", start_ns, kind, app_id, proto, remote, port));
    }

  hosts = sum_hosts (pages);
  if (json)
    print_hosts_json (hosts, since_ns, until_ns);
  else
    print_hosts_table (hosts);
  return EXIT_OK;
}
