/* netpulse-client-private.h — what the files of NetpulseClient share.
 *
 * NetpulseClient is one GObject written in six files, by job:
 *   netpulse-client.c              the object, its state and sessions (stop, fail)
 *   netpulse-client-connection.c   the bus connection, the proxy, Ended, the helper's name
 *   netpulse-client-subscribe.c    Subscribe attempts and Unsubscribe
 *   netpulse-client-stream.c       the frames of a subscription's stream
 *   netpulse-client-status.c       GetStatus and the Counters refresh
 *   netpulse-client-error.c        the mapping of D-Bus errors onto NETPULSE_CLIENT_ERROR
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-protocol.h"
#include "netpulse-client.h"
#include "netpulse-frame.h"
#include "netpulse-helper1-generated.h"
#include "netpulse-name-watch.h"

G_BEGIN_DECLS

#define HELPER_INTERFACE   NETPULSE_HELPER_INTERFACE
#define ENDED_TYPE         G_VARIANT_TYPE ("(oss)")

/* Calls that may wait for a polkit password prompt. */
#define NO_TIMEOUT G_MAXINT

typedef struct _SubscribeAttempt SubscribeAttempt;

struct _NetpulseClient
{
  GObject              parent_instance;

  GDBusConnection     *connection;
  gulong               closed_handler;
  guint                ended_subscription;
  NetpulseHelper1     *proxy;
  GCancellable        *proxy_cancellable;

  NetpulseClientState  state;
  GError              *error;

  guint                session;
  SubscribeAttempt    *attempt;          /* while CONNECTING */
  GCancellable        *session_cancellable;
  char                *helper_owner;     /* unique name holding our subscription */
  char                *subscription;     /* its object path */
  NetpulseNameWatch   *owner_watch;
  NetpulseFrameReader *reader;           /* the subscription's stream */
  guint64              sequence;         /* of the last frame applied */
  GPtrArray           *cancelled_tasks;  /* subscribe tasks to complete, see stop() */

  char                *instance_id;      /* the helper run of the last frame, NULL before one */
  GVariant            *counters;         /* a{st}: the helper's Counters, NULL until read */
  guint                counters_source;  /* refreshes them while subscribed */
  GCancellable        *counters_cancellable;
};

/* A Subscribe call in flight.  It lives until the helper answers, even if
 * the caller gave up earlier (cancelled, unsubscribed): a subscription the
 * helper granted after that must still be ended. */
struct _SubscribeAttempt
{
  NetpulseClient  *self;              /* weak: NULL once the client is gone */
  GDBusConnection *connection;
  GTask           *task;              /* NULL once completed */
  GCancellable    *cancellable;       /* the caller's */
  gulong           cancelled_handler;
  guint            interval_ms;
  guint            session;
  gboolean         resent;            /* Subscribe sent again after NoReply */
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_BACKEND,
  PROP_COUNTERS,
  PROP_INSTANCE_ID,
  N_PROPS
};

/* netpulse-client.c */
void      _netpulse_client_notify                 (NetpulseClient      *self,
                                                   guint                prop_id);
void      _netpulse_client_set_state              (NetpulseClient      *self,
                                                   NetpulseClientState  state);
gboolean  _netpulse_client_end_session            (NetpulseClient      *self,
                                                   gboolean             tell_helper,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean  _netpulse_client_stop                   (NetpulseClient      *self,
                                                   NetpulseClientState  state,
                                                   GError              *error,
                                                   gboolean             tell_helper,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* From a frame's extra ("instance"); notifies "instance-id" on a change. */
void      _netpulse_client_set_instance_id        (NetpulseClient      *self,
                                                   GVariant            *extra);
void      _netpulse_client_fail                   (NetpulseClient      *self,
                                                   GError              *error,
                                                   gboolean             tell_helper);
void      _netpulse_client_send_unsubscribe       (GDBusConnection     *connection,
                                                   const char          *helper_owner,
                                                   const char          *subscription,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
void      _netpulse_client_unsubscribe_ignored_cb (GObject             *object,
                                                   GAsyncResult        *result,
                                                   gpointer             user_data);

/* netpulse-client-connection.c */
void      _netpulse_client_setup_connection       (NetpulseClient      *self,
                                                   GDBusConnection     *connection);
void      _netpulse_client_teardown_connection    (NetpulseClient      *self);
/* g_bus_get()'s answer for a one-call task of @task's source client: the
 * connection, set up as the client's, or NULL once @task has been
 * returned the error (bus unavailable, or cancelled). */
GDBusConnection *_netpulse_client_bus_get_finish  (GTask               *task,
                                                   GAsyncResult        *result);
void      _netpulse_client_on_helper_vanished     (NetpulseNameWatch   *owner_watch,
                                                   gpointer             user_data);

/* netpulse-client-subscribe.c */
GTask    *_netpulse_client_attempt_take_task      (SubscribeAttempt    *attempt);

/* netpulse-client-stream.c */
void      _netpulse_client_on_frame               (NetpulseFrameReader *reader,
                                                   GVariant            *frame,
                                                   gpointer             user_data);
void      _netpulse_client_on_stream_end          (NetpulseFrameReader *reader,
                                                   GError              *error,
                                                   gpointer             user_data);

/* netpulse-client-status.c */
void      _netpulse_client_update_counters_refresh (NetpulseClient     *self);

/* netpulse-client-error.c */
GError   *_netpulse_client_bus_unavailable_error  (const GError        *error);
GError   *_netpulse_client_ended_error            (const char          *error_name,
                                                   const char          *message);
GError   *_netpulse_client_broken_stream_error    (const char          *message);

G_END_DECLS
