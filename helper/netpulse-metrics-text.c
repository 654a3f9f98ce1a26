/* netpulse-metrics-text.c — building the exposition.
 *
 * Low cardinality by design: per application only its kind, the
 * direction and the protocol are labels (no address, port or connection),
 * and at most max_apps applications get series of their own.  Which ones:
 * those that moved the most bytes, so that the busy ones keep theirs; an
 * application that drops below the cap moves into "other" (its own series
 * then stops, and "other" grows by its total: Prometheus's increase()
 * sees that as a reset of "other", see the README).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-metrics"

#include "config.h"

#include "netpulse-metrics-text.h"
#include "netpulse-record.h"
#include "netpulse-text.h"

typedef struct {
  guint8  proto;
  guint64 rx_bytes;
  guint64 tx_bytes;
  guint64 connections;
} ProtoTotals;

typedef struct {
  const char *kind_name;
  char       *app_id;
  GArray     *protos;      /* ProtoTotals, few */
  guint64     bytes;       /* rank */
  guint64     open;
} App;

struct _NetpulseMetricsText
{
  guint       max_apps;
  GHashTable *apps;        /* "kind\nid" → App */
};

static void
app_free (gpointer data)
{
  App *app = data;

  g_free (app->app_id);
  g_array_unref (app->protos);
  g_free (app);
}

static App *
app_new (const char *kind_name,
         const char *app_id)
{
  App *app = g_new0 (App, 1);

  app->kind_name = kind_name;
  app->app_id = g_strdup (app_id != NULL ? app_id : "");
  app->protos = g_array_new (FALSE, TRUE, sizeof (ProtoTotals));
  return app;
}

NetpulseMetricsText *
netpulse_metrics_text_new (guint max_apps)
{
  NetpulseMetricsText *self = g_new0 (NetpulseMetricsText, 1);

  self->max_apps = max_apps > 0 ? max_apps : NETPULSE_METRICS_DEFAULT_MAX_APPS;
  self->apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, app_free);
  return self;
}

void
netpulse_metrics_text_free (NetpulseMetricsText *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->apps);
  g_free (self);
}

static App *
lookup_app (NetpulseMetricsText *self,
            guint8               app_kind,
            const char          *app_id)
{
  const char *kind_name = netpulse_app_kind_name (app_kind);
  g_autofree char *key = NULL;
  App *app;

  /* No owner known (a socket nobody has used since the start): an empty
   * label value is the label's absence to Prometheus, so it gets a name. */
  if (app_id == NULL || *app_id == '\0')
    app_id = "unknown";
  key = g_strdup_printf ("%s\n%s", kind_name, app_id);
  app = g_hash_table_lookup (self->apps, key);
  if (app == NULL)
    {
      app = app_new (kind_name, app_id);
      g_hash_table_insert (self->apps, g_steal_pointer (&key), app);
    }
  return app;
}

static void
app_add (App     *app,
         guint8   proto,
         guint64  rx_bytes,
         guint64  tx_bytes,
         guint64  connections)
{
  ProtoTotals *totals = NULL;

  for (guint i = 0; i < app->protos->len && totals == NULL; i++)
    if (g_array_index (app->protos, ProtoTotals, i).proto == proto)
      totals = &g_array_index (app->protos, ProtoTotals, i);
  if (totals == NULL)
    {
      ProtoTotals fresh = { .proto = proto };

      g_array_append_val (app->protos, fresh);
      totals = &g_array_index (app->protos, ProtoTotals, app->protos->len - 1);
    }
  totals->rx_bytes += rx_bytes;
  totals->tx_bytes += tx_bytes;
  totals->connections += connections;
  app->bytes += rx_bytes + tx_bytes;
}

void
netpulse_metrics_text_add_usage (NetpulseMetricsText *self,
                                 guint8               app_kind,
                                 const char          *app_id,
                                 guint8               proto,
                                 guint64              rx_bytes,
                                 guint64              tx_bytes,
                                 guint64              connections)
{
  app_add (lookup_app (self, app_kind, app_id), proto, rx_bytes, tx_bytes, connections);
}

void
netpulse_metrics_text_add_total (guint8      app_kind,
                                 const char *app_id,
                                 guint8      proto,
                                 guint64     rx_bytes,
                                 guint64     tx_bytes,
                                 guint64     connections,
                                 gpointer    self)
{
  netpulse_metrics_text_add_usage (self, app_kind, app_id, proto, rx_bytes, tx_bytes, connections);
}

void
netpulse_metrics_text_add_open (NetpulseMetricsText *self,
                                guint8               app_kind,
                                const char          *app_id)
{
  lookup_app (self, app_kind, app_id)->open++;
}

/* The busiest first; ties by name, so that the choice is stable. */
static int
compare_apps (gconstpointer a,
              gconstpointer b)
{
  const App *x = *(App * const *) a, *y = *(App * const *) b;

  if (x->bytes != y->bytes)
    return x->bytes > y->bytes ? -1 : 1;
  if (x->open != y->open)
    return x->open > y->open ? -1 : 1;
  if (g_strcmp0 (x->app_id, y->app_id) != 0)
    return g_strcmp0 (x->app_id, y->app_id);
  return g_strcmp0 (x->kind_name, y->kind_name);
}

static int
compare_protos (gconstpointer a,
                gconstpointer b)
{
  return (int) ((const ProtoTotals *) a)->proto - (int) ((const ProtoTotals *) b)->proto;
}

/* The applications that get series: the first max_apps, then "other"
 * (owned by @other) with the sum of the rest. */
static GPtrArray *
capped_apps (NetpulseMetricsText  *self,
             App                 **other)
{
  GPtrArray *apps = g_ptr_array_sized_new (g_hash_table_size (self->apps) + 1);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->apps);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (apps, value);

  g_ptr_array_sort (apps, compare_apps);
  *other = NULL;
  if (apps->len > self->max_apps)
    {
      *other = app_new ("other", NETPULSE_METRICS_OTHER_APP);
      for (guint i = self->max_apps; i < apps->len; i++)
        {
          App *app = g_ptr_array_index (apps, i);

          for (guint j = 0; j < app->protos->len; j++)
            {
              ProtoTotals *t = &g_array_index (app->protos, ProtoTotals, j);

              app_add (*other, t->proto, t->rx_bytes, t->tx_bytes, t->connections);
            }
          (*other)->open += app->open;
        }
      g_ptr_array_set_size (apps, self->max_apps);
      g_ptr_array_add (apps, *other);
    }
  for (guint i = 0; i < apps->len; i++)
    g_array_sort (((App *) g_ptr_array_index (apps, i))->protos, compare_protos);
  return apps;
}

void
netpulse_metrics_append_label (GString    *out,
                               const char *name,
                               const char *value)
{
  g_autofree char *safe = netpulse_text_dup_safe (value);

  g_string_append_printf (out, "%s=\"", name);
  for (const char *p = safe; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_header (GString    *out,
               const char *name,
               const char *type,
               const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
append_app_labels (GString   *out,
                   const App *app)
{
  netpulse_metrics_append_label (out, "app_id", app->app_id);
  g_string_append_c (out, ',');
  netpulse_metrics_append_label (out, "app_kind", app->kind_name);
}

static void
append_apps (GString   *out,
             GPtrArray *apps)
{
  append_header (out, "netpulse_app_bytes_total", "counter",
                 "Bytes an application moved, by direction and protocol, since the usage history began.");
  for (guint i = 0; i < apps->len; i++)
    {
      App *app = g_ptr_array_index (apps, i);

      for (guint j = 0; j < app->protos->len; j++)
        for (int rx = 1; rx >= 0; rx--)
          {
            ProtoTotals *t = &g_array_index (app->protos, ProtoTotals, j);

            g_string_append (out, "netpulse_app_bytes_total{");
            append_app_labels (out, app);
            g_string_append_printf (out, ",direction=\"%s\",proto=\"%s\"} %" G_GUINT64_FORMAT "\n",
                                    rx ? "receive" : "transmit", netpulse_proto_name (t->proto),
                                    rx ? t->rx_bytes : t->tx_bytes);
          }
    }
  append_header (out, "netpulse_app_connections_total", "counter",
                 "Connections an application opened (or was the first seen on), by protocol, "
                 "since the usage history began.");
  for (guint i = 0; i < apps->len; i++)
    {
      App *app = g_ptr_array_index (apps, i);

      for (guint j = 0; j < app->protos->len; j++)
        {
          ProtoTotals *t = &g_array_index (app->protos, ProtoTotals, j);

          g_string_append (out, "netpulse_app_connections_total{");
          append_app_labels (out, app);
          g_string_append_printf (out, ",proto=\"%s\"} %" G_GUINT64_FORMAT "\n",
                                  netpulse_proto_name (t->proto), t->connections);
        }
    }
  append_header (out, "netpulse_app_open_connections", "gauge",
                 "Connections of an application open now.");
  for (guint i = 0; i < apps->len; i++)
    {
      App *app = g_ptr_array_index (apps, i);

      g_string_append (out, "netpulse_app_open_connections{");
      append_app_labels (out, app);
      g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", app->open);
    }
}

/* The Counters property's keys, as metrics of their own: each counts
 * something else (README). */
static const struct {
  const char *key;
  const char *name;
  const char *type;
  const char *help;
} health_metrics[] = {
  { "flows", "netpulse_flows_tracked", "gauge", "Connections in the helper's flow table now." },
  { "max-flows", "netpulse_flows_max", "gauge", "Room in the flow table." },
  { "ticks", "netpulse_ticks_total", "counter", "Samples of the kernel maps since the helper started." },
  { "flow-overflow", "netpulse_flow_overflows_total", "counter",
    "New connections that did not fit the flow table (their traffic is not counted)." },
  { "peer-overflow", "netpulse_peer_overflows_total", "counter", "Peers that did not fit the peer table." },
  { "release-overflow", "netpulse_release_overflows_total", "counter",
    "Socket releases that did not fit their table." },
  { "unknown-peer", "netpulse_unknown_peers_total", "counter", "Datagrams whose peer could not be told." },
  { "closed-ring-full", "netpulse_closed_ring_full_total", "counter",
    "Closes that waited in the table because the close ring was full." },
  { "peers-aggregated", "netpulse_peers_aggregated_total", "counter",
    "Datagrams counted in an other-peers record instead of a per-peer one." },
  { "socket-peer-cap", "netpulse_socket_peer_cap_total", "counter", "Peers past a socket's cap." },
  { "uid-peer-cap", "netpulse_uid_peer_cap_total", "counter", "Peers past a user's cap." },
  { "peer-table-full", "netpulse_peer_table_full_total", "counter", "Peers refused by a full peer table." },
  { "idle-evicted", "netpulse_idle_evicted_total", "counter", "Idle per-peer entries evicted to make room." },
};

static void
append_health (GString                     *out,
               const NetpulseMetricsHealth *health)
{
  append_header (out, "netpulse_helper_info", "gauge",
                 "The helper: the kernel hooks in use (backend) and its version.");
  g_string_append (out, "netpulse_helper_info{");
  netpulse_metrics_append_label (out, "backend", health->backend != NULL ? health->backend : "none");
  g_string_append_c (out, ',');
  netpulse_metrics_append_label (out, "version", health->version != NULL ? health->version : "");
  g_string_append (out, "} 1\n");
  append_header (out, "netpulse_recording_enabled", "gauge",
                 "1 while the usage history records (the application counters grow only then).");
  g_string_append_printf (out, "netpulse_recording_enabled %d\n", health->recording ? 1 : 0);
  append_header (out, "netpulse_last_tick_duration_seconds", "gauge", "How long the last sample took.");
  g_string_append_printf (out, "netpulse_last_tick_duration_seconds %.6f\n",
                          (double) health->last_tick_us / G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (health_metrics); i++)
    {
      guint64 value = 0;

      if (health->counters != NULL)
        g_variant_lookup (health->counters, health_metrics[i].key, "t", &value);
      append_header (out, health_metrics[i].name, health_metrics[i].type, health_metrics[i].help);
      g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", health_metrics[i].name, value);
    }
}

char *
netpulse_metrics_text_build (NetpulseMetricsText         *self,
                             const NetpulseMetricsHealth *health)
{
  GString *out = g_string_new (NULL);
  App *other = NULL;
  g_autoptr(GPtrArray) apps = capped_apps (self, &other);

  append_apps (out, apps);
  append_health (out, health);
  if (other != NULL)
    app_free (other);
  return g_string_free (out, FALSE);
}
