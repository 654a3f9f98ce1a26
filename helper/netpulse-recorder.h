/* netpulse-recorder.h — usage history: per-application byte and
 * connection totals from the collector's records, written per bucket to a
 * NetpulseHistoryDb.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-collector.h"
#include "netpulse-history-db.h"

G_BEGIN_DECLS

#define NETPULSE_RECORDER_DEFAULT_BUCKET_MS  60000
#define NETPULSE_RECORDER_DEFAULT_STATE_DIR  "/var/lib/netpulse"
#define NETPULSE_RECORDER_DB_NAME            "history.db"
/* Closed buckets kept in memory while the disk refuses them. */
#define NETPULSE_RECORDER_MAX_UNWRITTEN      1440

#define NETPULSE_TYPE_RECORDER (netpulse_recorder_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRecorder, netpulse_recorder, NETPULSE, RECORDER, GObject)

NetpulseRecorder *netpulse_recorder_new          (const char        *state_dir,
                                                  guint64            bucket_ms);
/* Where netpulse-boot-unit.c looks for systemd ("/" for NULL). */
void              netpulse_recorder_set_system_root (NetpulseRecorder *self,
                                                     const char       *root);
/* Opens the database if one exists (recording was on at some time), and
 * reads whether recording is on. */
void              netpulse_recorder_load         (NetpulseRecorder  *self);
gboolean          netpulse_recorder_is_enabled   (NetpulseRecorder  *self);
guint64           netpulse_recorder_get_bucket_ms (NetpulseRecorder *self);

/* @options: "retention-fine-s", "retention-hour-s", "retention-day-s" (t). */
gboolean          netpulse_recorder_configure    (NetpulseRecorder  *self,
                                                  gboolean           enabled,
                                                  GVariant          *options,
                                                  GError           **error);

/* After each sample of a running collector (@collector NULL: none). */
void              netpulse_recorder_tick         (NetpulseRecorder  *self,
                                                  NetpulseCollector *collector,
                                                  guint64            now_ms);
/* The collector (re)started: its flows start from zero. */
void              netpulse_recorder_collector_started (NetpulseRecorder  *self,
                                                       NetpulseCollector *collector);
/* Writes the bucket in progress (at exit). */
void              netpulse_recorder_flush        (NetpulseRecorder  *self);

GVariant         *netpulse_recorder_get_state    (NetpulseRecorder  *self);
GVariant         *netpulse_recorder_query        (NetpulseRecorder  *self,
                                                  guint64            since_ns,
                                                  guint64            until_ns,
                                                  const char        *granularity,
                                                  const char        *group,
                                                  GVariant          *filter,
                                                  GError           **error);

/* For counters that never go back (netpulse-metrics.c): the database
 * (NULL while recording was never on), and each NetpulseHistoryEntry
 * (@func's value; the key is the recorder's) counted but not in it yet (the bucket in progress, those waiting for
 * the disk).  Both in the main context, between two ticks: a bucket is in
 * exactly one of the two. */
NetpulseHistoryDb *netpulse_recorder_get_db      (NetpulseRecorder  *self);
void              netpulse_recorder_foreach_unwritten (NetpulseRecorder *self,
                                                       GHFunc            func,
                                                       gpointer          user_data);
/* QueryHosts (the interface XML): the remote hosts per application and hour. */
GVariant         *netpulse_recorder_query_hosts  (NetpulseRecorder  *self,
                                                  guint64            since_ns,
                                                  guint64            until_ns,
                                                  GVariant          *filter,
                                                  GError           **error);

G_END_DECLS
