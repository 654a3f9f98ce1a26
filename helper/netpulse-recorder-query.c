/* netpulse-recorder-query.c — what the recorder answers: GetRecording's
 * state, and QueryUsage's and QueryHosts' arguments checked and turned
 * into a NetpulseHistoryQuery (the reading itself is
 * netpulse-history-db-query.c and -hosts.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-history"

#include "config.h"

#include <gio/gio.h>

#include "netpulse-boot-unit.h"
#include "netpulse-history-rows.h"
#include "netpulse-recorder-private.h"

static gboolean
parse_granularity (NetpulseRecorder      *self,
                   const char            *name,
                   guint64                span_ms,
                   NetpulseHistoryLevel  *level,
                   GError               **error)
{
  if (g_str_equal (name, "minute"))
    *level = NETPULSE_HISTORY_FINE;
  else if (g_str_equal (name, "hour"))
    *level = NETPULSE_HISTORY_HOUR;
  else if (g_str_equal (name, "day"))
    *level = NETPULSE_HISTORY_DAY;
  else if (g_str_equal (name, "auto"))
    {
      /* At most 12 hours of minutes and 31 days of hours: a few hundred
       * buckets, and the finer level is still kept for that range. */
      if (span_ms <= 720 * self->bucket_ms)
        *level = NETPULSE_HISTORY_FINE;
      else if (span_ms <= 31 * 24 * 60 * self->bucket_ms)
        *level = NETPULSE_HISTORY_HOUR;
      else
        *level = NETPULSE_HISTORY_DAY;
    }
  else
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "Unknown granularity (minute, hour, day or auto)"), FALSE;
  return TRUE;
}

static gboolean
parse_group (const char            *name,
             NetpulseHistoryGroup  *group,
             GError               **error)
{
  if (g_str_equal (name, "app"))
    *group = NETPULSE_HISTORY_GROUP_APP;
  else if (g_str_equal (name, "app,proto"))
    *group = NETPULSE_HISTORY_GROUP_APP_PROTO;
  else if (g_str_equal (name, "total"))
    *group = NETPULSE_HISTORY_GROUP_TOTAL;
  else
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "Unknown grouping (app, app,proto or total)"), FALSE;
  return TRUE;
}

/* The range and the filter's keys both queries share. */
static gboolean
parse_range (guint64                since_ns,
             guint64                until_ns,
             GVariant              *filter,
             NetpulseHistoryQuery  *query,
             GError               **error)
{
  if (until_ns <= since_ns)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "until must be after since"), FALSE;
  query->since_ms = since_ns / 1000000;
  query->until_ms = until_ns / 1000000 + (until_ns % 1000000 != 0);
  g_variant_lookup (filter, "app-id", "&s", &query->app_id);
  g_variant_lookup (filter, "limit", "u", &query->limit);
  return TRUE;
}

GVariant *
netpulse_recorder_query (NetpulseRecorder  *self,
                         guint64            since_ns,
                         guint64            until_ns,
                         const char        *granularity,
                         const char        *group,
                         GVariant          *filter,
                         GError           **error)
{
  NetpulseHistoryQuery query = { 0 };
  guint64 after_ns = 0;
  gboolean truncated = FALSE;
  GVariant *rows;

  if (!parse_range (since_ns, until_ns, filter, &query, error) ||
      !parse_granularity (self, granularity, query.until_ms - query.since_ms, &query.level, error) ||
      !parse_group (group, &query.group, error))
    return NULL;
  g_variant_lookup (filter, "offset", "u", &query.offset);
  if (g_variant_lookup (filter, "after", "(t&s&sy)", &after_ns, &query.after_app_kind,
                        &query.after_app_id, &query.after_proto))
    query.after_start_ms = after_ns / 1000000;

  if (self->db == NULL)
    return g_variant_new ("(@a(ttssyttu)b)", g_variant_new_array (G_VARIANT_TYPE ("(ttssyttu)"), NULL, 0), FALSE);
  rows = netpulse_history_db_query (self->db, &query, &truncated, error);
  if (rows == NULL)
    return NULL;
  return g_variant_new ("(@a(ttssyttu)b)", rows, truncated);
}

GVariant *
netpulse_recorder_query_hosts (NetpulseRecorder  *self,
                               guint64            since_ns,
                               guint64            until_ns,
                               GVariant          *filter,
                               GError           **error)
{
  NetpulseHistoryQuery query = { 0 };
  guint64 after_ns = 0;
  gboolean truncated = FALSE;
  GVariant *rows;

  if (!parse_range (since_ns, until_ns, filter, &query, error))
    return NULL;
  if (g_variant_lookup (filter, "after", "(t&s&sy&sq)", &after_ns, &query.after_app_kind,
                        &query.after_app_id, &query.after_proto, &query.after_raddr, &query.after_rport))
    query.after_start_ms = after_ns / 1000000;

  if (self->db == NULL)
    return g_variant_new ("(@a" NETPULSE_HISTORY_ROWS_HOSTS "b)",
                          g_variant_new_array (G_VARIANT_TYPE (NETPULSE_HISTORY_ROWS_HOSTS), NULL, 0), FALSE);
  rows = netpulse_history_db_query_hosts (self->db, &query, &truncated, error);
  if (rows == NULL)
    return NULL;
  return g_variant_new ("(@a" NETPULSE_HISTORY_ROWS_HOSTS "b)", rows, truncated);
}

NetpulseHistoryDb *
netpulse_recorder_get_db (NetpulseRecorder *self)
{
  return self->db;
}

GVariant *
netpulse_recorder_get_state (NetpulseRecorder *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *path = g_build_filename (self->state_dir, NETPULSE_RECORDER_DB_NAME, NULL);

  g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (self->enabled));
  g_variant_builder_add (&builder, "{sv}", "paused", g_variant_new_boolean (self->last_error != NULL));
  g_variant_builder_add (&builder, "{sv}", "bucket-ms", g_variant_new_uint64 (self->bucket_ms));
  for (int level = 0; level < NETPULSE_HISTORY_N_LEVELS; level++)
    g_variant_builder_add (&builder, "{sv}", netpulse_recorder_retention_keys[level],
                           g_variant_new_uint64 (self->db != NULL ? self->retention_s[level]
                                                                  : netpulse_recorder_default_retention_s[level]));
  g_variant_builder_add (&builder, "{sv}", "last-error", g_variant_new_string (self->last_error ? self->last_error : ""));
  g_variant_builder_add (&builder, "{sv}", "warning", g_variant_new_string (self->warning ? self->warning : ""));
  g_variant_builder_add (&builder, "{sv}", "database-path", g_variant_new_string (path));
  g_variant_builder_add (&builder, "{sv}", "database-size",
                         g_variant_new_uint64 (self->db != NULL ? netpulse_history_db_get_size (self->db) : 0));
  g_variant_builder_add (&builder, "{sv}", "unwritten-buckets",
                         g_variant_new_uint32 (g_queue_get_length (&self->unwritten)));
  g_variant_builder_add (&builder, "{sv}", "dropped-buckets", g_variant_new_uint64 (self->dropped_buckets));
  g_variant_builder_add (&builder, "{sv}", "schema-version", g_variant_new_uint32 (NETPULSE_HISTORY_SCHEMA_VERSION));
  g_variant_builder_add (&builder, "{sv}", "starts-at-boot",
                         g_variant_new_boolean (netpulse_boot_unit_is_enabled (self->system_root)));
  g_variant_builder_add (&builder, "{sv}", "boot-error", g_variant_new_string (self->boot_error ? self->boot_error : ""));
  return g_variant_builder_end (&builder);
}
