/* netpulse-usage-export.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include "netpulse-app-finder.h"
#include "netpulse-export.h"
#include "netpulse-record.h"
#include "netpulse-usage-export.h"

#define NS_PER_S G_GUINT64_CONSTANT (1000000000)

static char *
iso_time (guint64 ns)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc ((gint64) (ns / NS_PER_S));

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

static char *
app_name (const char *kind,
          const char *id)
{
  g_autoptr(GIcon) icon = NULL;
  char *name = NULL;

  netpulse_app_finder_describe (netpulse_app_kind_from_name (kind), id, &name, &icon);
  return name;
}

/* A cache of names by "kind/id": the desktop files are read once per
 * application, not once per bucket. */
static const char *
cached_name (GHashTable *names,
             const char *kind,
             const char *id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", kind, id);
  const char *name = g_hash_table_lookup (names, key);

  if (name == NULL)
    {
      char *made = app_name (kind, id);

      g_hash_table_insert (names, g_steal_pointer (&key), made);
      name = made;
    }
  return name;
}

char *
netpulse_usage_export_csv (NetpulseUsageData *data)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GString *out = g_string_new ("start,end,app_kind,app_id,name,rx_bytes,tx_bytes,connections\n");
  GVariantIter iter;
  guint64 start, end, rx, tx;
  const char *kind, *id;
  guint8 proto;
  guint32 connections;

  g_return_val_if_fail (data != NULL, NULL);

  g_variant_iter_init (&iter, data->rows);
  while (g_variant_iter_next (&iter, "(tt&s&syttu)", &start, &end, &kind, &id, &proto, &rx, &tx, &connections))
    {
      g_autofree char *from = iso_time (start);
      g_autofree char *to = iso_time (end);

      g_string_append_printf (out, "%s,%s,", from, to);
      netpulse_export_csv_field (out, kind);
      g_string_append_c (out, ',');
      netpulse_export_csv_field (out, id);
      g_string_append_c (out, ',');
      netpulse_export_csv_field (out, cached_name (names, kind, id));
      g_string_append_printf (out, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%u\n", rx, tx, connections);
    }
  return g_string_free (out, FALSE);
}

static void
add_uint (JsonBuilder *builder,
          const char  *member,
          guint64      value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, (gint64) MIN (value, (guint64) G_MAXINT64));
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

static void
add_time (JsonBuilder *builder,
          const char  *member,
          guint64      ns)
{
  g_autofree char *text = iso_time (ns);

  add_string (builder, member, text);
}

char *
netpulse_usage_export_json (NetpulseUsageData *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GVariantIter iter;
  guint64 start, end, rx, tx;
  const char *kind, *id;
  guint8 proto;
  guint32 connections;

  g_return_val_if_fail (data != NULL, NULL);

  json_builder_begin_object (builder);
  add_time (builder, "since", data->range.since_ns);
  add_time (builder, "until", data->range.until_ns);
  add_string (builder, "granularity", netpulse_usage_granularity_name (data->range.granularity));
  add_uint (builder, "bucket_seconds", data->range.bucket_ns / NS_PER_S);
  json_builder_set_member_name (builder, "applications");
  json_builder_begin_array (builder);
  for (guint i = 0; i < data->apps->len; i++)
    {
      const NetpulseUsageApp *app = g_ptr_array_index (data->apps, i);
      g_autofree char *name = app_name (app->app_kind, app->app_id);

      json_builder_begin_object (builder);
      add_string (builder, "app_kind", app->app_kind);
      add_string (builder, "app_id", app->app_id);
      add_string (builder, "name", name);
      add_uint (builder, "rx_bytes", app->rx_bytes);
      add_uint (builder, "tx_bytes", app->tx_bytes);
      add_uint (builder, "connections", app->connections);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "buckets");
  json_builder_begin_array (builder);
  g_variant_iter_init (&iter, data->rows);
  while (g_variant_iter_next (&iter, "(tt&s&syttu)", &start, &end, &kind, &id, &proto, &rx, &tx, &connections))
    {
      json_builder_begin_object (builder);
      add_time (builder, "start", start);
      add_time (builder, "end", end);
      add_string (builder, "app_kind", kind);
      add_string (builder, "app_id", id);
      add_uint (builder, "rx_bytes", rx);
      add_uint (builder, "tx_bytes", tx);
      add_uint (builder, "connections", connections);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return netpulse_export_json_text (builder);
}

char *
netpulse_usage_export_file_name (NetpulseUsageData *data,
                                 gboolean           json)
{
  g_autoptr(GDateTime) since = g_date_time_new_from_unix_local ((gint64) (data->range.since_ns / NS_PER_S));
  g_autoptr(GDateTime) until = g_date_time_new_from_unix_local ((gint64) (data->range.until_ns / NS_PER_S));
  g_autofree char *from = since != NULL ? g_date_time_format (since, "%Y%m%d-%H%M") : g_strdup ("0");
  g_autofree char *to = until != NULL ? g_date_time_format (until, "%Y%m%d-%H%M") : g_strdup ("0");

  return g_strdup_printf ("netpulse-usage-%s-%s.%s", from, to, json ? "json" : "csv");
}
