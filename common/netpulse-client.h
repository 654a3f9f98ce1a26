/* netpulse-client.h — the client side of io.github.netpulse.Helper1,
 * shared by netpulsectl and the app.
 *
 * A NetpulseClient talks to the helper on the system bus (honouring
 * DBUS_SYSTEM_BUS_ADDRESS), subscribes, reads the frames of the stream that
 * Subscribe hands out, checks their sequence numbers, and notices when the
 * helper ends the subscription or leaves the bus (crash, idle exit).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

#define NETPULSE_CLIENT_ERROR (netpulse_client_error_quark ())

typedef enum {
  NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE,   /* no system bus */
  NETPULSE_CLIENT_ERROR_HELPER_MISSING,    /* the helper is not installed / cannot be activated */
  NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED,    /* polkit said no or the prompt was dismissed */
  NETPULSE_CLIENT_ERROR_HELPER_FAILED,     /* the helper answered with another error */
  NETPULSE_CLIENT_ERROR_HELPER_LOST,       /* the helper left the bus while we were subscribed */
  NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED,/* the helper ended our subscription (the message says why) */
} NetpulseClientError;

typedef enum {
  NETPULSE_CLIENT_STATE_DISCONNECTED,
  NETPULSE_CLIENT_STATE_CONNECTING,        /* subscribing; polkit may be asking for a password */
  NETPULSE_CLIENT_STATE_SUBSCRIBED,
  NETPULSE_CLIENT_STATE_FAILED,            /* see netpulse_client_get_error() */
} NetpulseClientState;

#define NETPULSE_TYPE_CLIENT_STATE (netpulse_client_state_get_type ())
GType netpulse_client_state_get_type (void);

#define NETPULSE_TYPE_CLIENT (netpulse_client_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseClient, netpulse_client, NETPULSE, CLIENT, GObject)

GQuark               netpulse_client_error_quark   (void);

NetpulseClient      *netpulse_client_new           (void);

/* Connects to the system bus if needed, then Subscribe()s with
 * "interval-ms" = @interval_ms.  Completes once subscribed (or failed: the
 * GError is in NETPULSE_CLIENT_ERROR).  Records then arrive through the
 * "update" and "snapshot" signals. */
void                 netpulse_client_subscribe_async  (NetpulseClient       *self,
                                                       guint                 interval_ms,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean             netpulse_client_subscribe_finish (NetpulseClient       *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

/* Changes the live subscription (SetOptions): frames every @interval_ms
 * from now on, smoothed rates (tx_rate_avg, rx_rate_avg) over @window_ms;
 * 0 leaves a value as it is.  Record ids, totals and the sequence go on,
 * and no password is asked.  Fails with G_IO_ERROR_NOT_CONNECTED when not
 * subscribed, or with NETPULSE_CLIENT_ERROR_HELPER_FAILED (the helper's
 * InvalidOption) for a value out of bounds (NETPULSE_INTERVAL_*,
 * NETPULSE_WINDOW_* in netpulse-protocol.h). */
void                 netpulse_client_set_options_async  (NetpulseClient     *self,
                                                         guint               interval_ms,
                                                         guint               window_ms,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
gboolean             netpulse_client_set_options_finish (NetpulseClient     *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);

/* Ends the subscription (best effort; the helper also notices when we leave).
 * The state becomes DISCONNECTED at once; the Unsubscribe call goes out in
 * the background. */
void                 netpulse_client_unsubscribe      (NetpulseClient       *self);
/* The same, but completes when the helper has answered (or failed to), so
 * that a program about to exit knows the call left the process. */
void                 netpulse_client_unsubscribe_async  (NetpulseClient     *self,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
gboolean             netpulse_client_unsubscribe_finish (NetpulseClient     *self,
                                                         GAsyncResult       *result,
                                                         GError            **error);

/* Status without subscribing: fills a GVariant a{sv} with "version" (s),
 * "backend" (s), "kernel-features" (as), "counters" (a{st}),
 * "subscriptions" (u), "instance" (s, the InstanceId), "authorized" (b, a
 * non-interactive polkit check) and "authorization" (s: "granted",
 * "challenge" when polkit would ask for a password, or "denied"). */
void                 netpulse_client_get_status_async  (NetpulseClient     *self,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
GVariant            *netpulse_client_get_status_finish (NetpulseClient     *self,
                                                        GAsyncResult       *result,
                                                        GError            **error);

/* The usage history (netpulse-client-usage.c; the methods of the same
 * names in the XML).  GetRecording gives the a{sv} state; SetRecording may
 * bring up the configure prompt; QueryUsage gives the a(ttssyttu) rows
 * and whether more follow (@truncated: ask again with "offset"). */
void                 netpulse_client_get_recording_async  (NetpulseClient     *self,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GVariant            *netpulse_client_get_recording_finish (NetpulseClient     *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);
void                 netpulse_client_set_recording_async  (NetpulseClient     *self,
                                                           gboolean            enabled,
                                                           GVariant           *options,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
gboolean             netpulse_client_set_recording_finish (NetpulseClient     *self,
                                                           GAsyncResult       *result,
                                                           GError            **error);
void                 netpulse_client_query_usage_async    (NetpulseClient     *self,
                                                           guint64             since_ns,
                                                           guint64             until_ns,
                                                           const char         *granularity,
                                                           const char         *group,
                                                           GVariant           *filter,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GVariant            *netpulse_client_query_usage_finish   (NetpulseClient     *self,
                                                           GAsyncResult       *result,
                                                           gboolean           *truncated,
                                                           GError            **error);
/* QueryHosts: rows a(ttssysqttu), see the interface XML. */
void                 netpulse_client_query_hosts_async    (NetpulseClient     *self,
                                                           guint64             since_ns,
                                                           guint64             until_ns,
                                                           GVariant           *filter,
                                                           GCancellable       *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer            user_data);
GVariant            *netpulse_client_query_hosts_finish   (NetpulseClient     *self,
                                                           GAsyncResult       *result,
                                                           gboolean           *truncated,
                                                           GError            **error);

NetpulseClientState  netpulse_client_get_state       (NetpulseClient       *self);
/* The error that put the client into NETPULSE_CLIENT_STATE_FAILED, or NULL. */
const GError        *netpulse_client_get_error       (NetpulseClient       *self);
/* The helper's Backend property ("none" until known); see "notify::backend". */
const char          *netpulse_client_get_backend     (NetpulseClient       *self);
/* The helper run (its InstanceId, 32 hex digits) that sent the last frame,
 * kept after the subscription ends; NULL before the first frame.  When a
 * new subscription's frames come from another run (the helper exited or
 * crashed and was started again), every record id from the old one is
 * stale: "notify::instance-id" comes before that run's first "update". */
const char          *netpulse_client_get_instance_id (NetpulseClient      *self);
/* The subscription's object path while subscribed, else NULL. */
const char          *netpulse_client_get_subscription (NetpulseClient      *self);

/* The helper's Counters (a{st}, see the XML) as last read: at once when
 * subscribed, then every 2 s while subscribed; NULL until then.  See
 * "notify::counters". */
GVariant            *netpulse_client_get_counters    (NetpulseClient       *self);
/* Whether @counters (a{st}, may be NULL) say that flows were not tracked
 * (the flow table was full: "flow-overflow") or that peers of some socket
 * were counted together ("peers-aggregated"); both numbers returned. */
gboolean             netpulse_counters_get_overflow  (GVariant             *counters,
                                                      guint64              *flows_not_tracked,
                                                      guint64              *peers_aggregated);

/* Maps an error of a call to the helper (a D-Bus error, a GIO error of the
 * connection) onto NETPULSE_CLIENT_ERROR, with a readable message.
 * G_IO_ERROR_CANCELLED is passed through unchanged. */
GError              *netpulse_client_error_from_dbus (const GError         *error);

/*
 * Signals:
 *   "snapshot" (guint64 sequence, guint64 timestamp_ns,
 *               GArray *records (of NetpulseRecord))
 *       a SNAPSHOT frame: replace the whole table.  The first frame
 *       (sequence 1) is one, and every frame after GetSnapshot.
 *   "update"   (guint64 sequence, guint64 timestamp_ns,
 *               GArray *changed  (of NetpulseRecord),
 *               GArray *removed  (of guint64 ids))
 *       every other frame, in order, without gaps: apply both with
 *       netpulse_record_table_apply_update() (a record flagged CLOSED is
 *       its connection's last; a removed id closed without one).
 *   "notify::state"   (property "state", NetpulseClientState)
 *       the state changed; on NETPULSE_CLIENT_STATE_FAILED with
 *       NETPULSE_CLIENT_ERROR_HELPER_LOST the helper crashed or exited while
 *       we were subscribed, with NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED
 *       the helper ended the subscription (e.g. this program stopped
 *       reading for too long): offer to reconnect (subscribe again).
 *   "notify::backend" (property "backend", string)
 *   "notify::counters" (property "counters", GVariant a{st})
 *   "notify::instance-id" (property "instance-id", string)
 *
 * The GArrays passed to "update" and "snapshot" belong to the client and are
 * valid during the emission only: g_array_ref() them to keep them.
 */

G_END_DECLS
