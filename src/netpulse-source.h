/* netpulse-source.h — where the app's records come from: the helper on the
 * system bus (NetpulseHelperSource) or a recorded stream
 * (NetpulseReplaySource).  The window only sees this small class.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

typedef enum {
  NETPULSE_SOURCE_STATE_IDLE,
  NETPULSE_SOURCE_STATE_CONNECTING,   /* reaching the helper */
  NETPULSE_SOURCE_STATE_AUTHORIZING,  /* polkit is asking for a password */
  NETPULSE_SOURCE_STATE_RUNNING,      /* updates are arriving */
  NETPULSE_SOURCE_STATE_FINISHED,     /* a recording ended; its last state stays */
  NETPULSE_SOURCE_STATE_FAILED,       /* see netpulse_source_get_error() */
  NETPULSE_SOURCE_STATE_RECONNECTING, /* the helper went away: the last table stays
                                       * while the source reconnects by itself */
} NetpulseSourceState;

#define NETPULSE_SOURCE_ERROR (netpulse_source_error_quark ())

typedef enum {
  NETPULSE_SOURCE_ERROR_BUS_UNAVAILABLE,
  NETPULSE_SOURCE_ERROR_HELPER_MISSING,
  NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED,    /* polkit said no: the rules refuse us */
  NETPULSE_SOURCE_ERROR_HELPER_FAILED,
  NETPULSE_SOURCE_ERROR_HELPER_LOST,
  NETPULSE_SOURCE_ERROR_BAD_INPUT,
  NETPULSE_SOURCE_ERROR_AUTH_CANCELLED,    /* the person dismissed the password prompt */
  NETPULSE_SOURCE_ERROR_AUTH_NO_AGENT,     /* polkit would ask, but nothing can ask */
  NETPULSE_SOURCE_ERROR_AUTH_FAILED,       /* asked, and the password was not accepted */
} NetpulseSourceError;

#define NETPULSE_TYPE_SOURCE (netpulse_source_get_type ())

G_DECLARE_DERIVABLE_TYPE (NetpulseSource, netpulse_source, NETPULSE, SOURCE, GObject)

struct _NetpulseSourceClass
{
  GObjectClass parent_class;

  void (*start)        (NetpulseSource *self);
  void (*stop)         (NetpulseSource *self);
  void (*set_interval) (NetpulseSource *self,
                        guint           interval_ms);
};

GQuark              netpulse_source_error_quark  (void);

/* Starts (or, after a failure, retries). */
void                netpulse_source_start        (NetpulseSource *self);
void                netpulse_source_stop         (NetpulseSource *self);
void                netpulse_source_set_interval (NetpulseSource *self,
                                                  guint           interval_ms);
guint               netpulse_source_get_interval (NetpulseSource *self);
NetpulseSourceState netpulse_source_get_state    (NetpulseSource *self);
const GError       *netpulse_source_get_error    (NetpulseSource *self);
/* Whether pids are of this machine (so /proc may be read about them). */
gboolean            netpulse_source_is_live      (NetpulseSource *self);

/* The helper's Counters (a{st}, see the XML), NULL if the source has none:
 * the window's overflow banner reads them.  See "notify::counters". */
GVariant           *netpulse_source_get_counters (NetpulseSource *self);

/* Which run of the helper the records come from: the same instance keeps
 * its connection ids, a new one (a restart) starts them again at 1.  NULL
 * when unknown.  See "notify::instance". */
const char         *netpulse_source_get_instance (NetpulseSource *self);

/* For implementations. */
void                netpulse_source_set_state    (NetpulseSource *self,
                                                  NetpulseSourceState state,
                                                  const GError   *error);
void                netpulse_source_set_live     (NetpulseSource *self,
                                                  gboolean        live);
void                netpulse_source_set_instance (NetpulseSource *self,
                                                  const char     *instance);
/* Takes a floating reference; NULL clears. */
void                netpulse_source_set_counters (NetpulseSource *self,
                                                  GVariant       *counters);
void                netpulse_source_emit_update  (NetpulseSource *self,
                                                  guint64         timestamp_ns,
                                                  GArray         *changed,
                                                  GArray         *removed);
void                netpulse_source_emit_snapshot (NetpulseSource *self,
                                                   guint64         timestamp_ns,
                                                   GArray         *records);

/*
 * Signals:
 *   "update"   (guint64 timestamp_ns, GArray *changed (NetpulseRecord), GArray *removed (guint64))
 *   "snapshot" (guint64 timestamp_ns, GArray *records (NetpulseRecord)): replace the table
 * Properties: "state" (NetpulseSourceState as guint), "interval-ms", "counters" (a{st}),
 *   "instance" (string, NULL when unknown).
 */

G_END_DECLS
