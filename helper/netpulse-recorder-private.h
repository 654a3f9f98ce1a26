/* netpulse-recorder-private.h — what netpulse-recorder.c (counting,
 * writing, configuration) and netpulse-recorder-query.c (GetRecording's
 * state, QueryUsage and QueryHosts' arguments) share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-recorder.h"

G_BEGIN_DECLS

typedef struct _Bucket Bucket;

/* The settings' (and GetRecording's) name of each level's retention, and
 * its default. */
extern const char * const netpulse_recorder_retention_keys[NETPULSE_HISTORY_N_LEVELS];
extern const guint64      netpulse_recorder_default_retention_s[NETPULSE_HISTORY_N_LEVELS];

struct _NetpulseRecorder
{
  GObject            parent_instance;

  char              *state_dir;
  char              *system_root;
  guint64            bucket_ms;
  NetpulseHistoryDb *db;
  gboolean           enabled;
  guint64            retention_s[NETPULSE_HISTORY_N_LEVELS];

  GHashTable        *flows;          /* id → SeenFlow */
  guint64            generation;     /* of the collector, last seen */
  guint64            sweep;
  guint64            now_ms;         /* of the sample being counted */
  Bucket            *current;
  GQueue             unwritten;      /* Bucket, oldest first */
  guint64            dropped_buckets;
  char              *last_error;
  char              *warning;
  char              *boot_error;
};

G_END_DECLS
