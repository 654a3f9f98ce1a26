/* netpulse-monitor-calls.c — the method calls of io.github.netpulse.Helper1
 * and their authorization (the other half of NetpulseMonitor, with
 * netpulse-monitor.c; shared state in netpulse-monitor-private.h).
 *
 * The one place where access is decided is gate_method_call(): the
 * skeleton's vtable with our function in front of its own dispatcher.
 * Every method call of the interface comes through it, in the main context
 * (property reads do not: anyone may read them).  It asks polkit through
 * NetpulseGate, asynchronously, and dispatches to the handle_* vfuncs only
 * once polkit said yes.
 *
 * Not GDBusInterfaceSkeleton's g_authorize_method: as soon as a class
 * overrides it, GDBus runs it (and the handlers) in GLib's shared thread
 * pool, with or without HANDLE_METHOD_INVOCATIONS_IN_THREAD — the very
 * pool whose exhaustion deadlocked the helper.
 *
 * Revocation: when polkitd says its rules or authorizations changed, the
 * owner of every subscription is checked again, without interaction.  An
 * explicit no ends its subscriptions (NotAuthorized, through
 * netpulse_monitor_end_subscription()).  "Would need a password again" is
 * not a no: a subscription granted after a prompt keeps running when
 * polkitd forgets the temporary authorization, or when a rule moves from
 * YES to AUTH_ADMIN; it would end only on a rule that says NO.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-monitor"

#include "config.h"

#include <gio/gunixfdlist.h>

#include "netpulse-helper-error.h"
#include "netpulse-monitor-private.h"

/* ------------------------------------------------------------------------ */
/* Handlers (authorized already)                                             */

/* The caller's own subscription at @path, or NULL with NoSuchSubscription:
 * nobody may look at or end someone else's stream. */
static NetpulseSubscription *
lookup_subscription (NetpulseMonitor        *self,
                     GDBusMethodInvocation  *invocation,
                     const char             *path,
                     GError                **error)
{
  NetpulseSubscription *subscription = g_hash_table_lookup (self->subscriptions, path);

  if (subscription == NULL ||
      g_strcmp0 (netpulse_subscription_get_owner (subscription),
                 g_dbus_method_invocation_get_sender (invocation)) != 0)
    {
      /* Never the whole path: it is the caller's, and may be a megabyte. */
      g_autofree char *quoted = netpulse_helper_error_quote (path);

      g_set_error (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NO_SUCH_SUBSCRIPTION,
                   "%s is not a subscription of this client", quoted);
      return NULL;
    }

  return subscription;
}

static gboolean
handle_subscribe (NetpulseHelper1       *helper,
                  GDBusMethodInvocation *invocation,
                  GUnixFDList           *unused_fd_list,
                  GVariant              *options)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(NetpulseSubscription) subscription = NULL;
  g_autoptr(NetpulseStream) stream = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  NetpulseSubscriptionOptions parsed;
  ClientWatch *watch;
  int peer_fd = -1;

  netpulse_subscription_options_init (&parsed);
  if (!netpulse_subscription_parse_options (options, &parsed, &error))
    goto failed;

  watch = g_hash_table_lookup (self->clients, sender);
  if (watch != NULL && watch->n_subscriptions >= self->max_per_client)
    {
      g_set_error (&error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_TOO_MANY_SUBSCRIPTIONS,
                   "This client already has %u subscriptions, the most allowed",
                   self->max_per_client);
      goto failed;
    }

  if (g_hash_table_size (self->subscriptions) >= self->max_total)
    {
      g_set_error (&error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_TOO_MANY_SUBSCRIPTIONS,
                   "The helper already serves %u subscriptions, the most allowed",
                   self->max_total);
      goto failed;
    }

  if (!(g_dbus_connection_get_capabilities (g_dbus_method_invocation_get_connection (invocation)) &
        G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING))
    {
      g_set_error_literal (&error, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED,
                           "The helper's bus connection cannot pass file descriptors");
      goto failed;
    }

  stream = netpulse_stream_new (&peer_fd, &error);
  if (stream == NULL)
    goto failed;
  fd_list = g_unix_fd_list_new_from_array (&peer_fd, 1);   /* takes the fd */

  if (!_netpulse_monitor_start_monitoring (self, &error))
    goto failed;

  path = g_strdup_printf ("%s/Subscription%" G_GUINT64_FORMAT,
                          HELPER_OBJECT_PATH, ++self->last_subscription_id);
  subscription = netpulse_subscription_new (path, sender, &parsed, stream);
  _netpulse_monitor_add_subscription (self, subscription);

  g_message ("%s subscribed (%s, every %u ms, window %u ms)", sender, path,
             parsed.interval_ms, parsed.window_ms);

  /* The stream is the client's own channel: the first frame may well be
   * there before the reply. */
  netpulse_helper1_complete_subscribe (NETPULSE_HELPER1 (self), invocation, fd_list, path,
                                       g_variant_new_handle (0));
  _netpulse_monitor_send_first_frame (self, subscription);
  return G_DBUS_METHOD_INVOCATION_HANDLED;

failed:
  g_debug ("Subscribe from %s refused: %s", sender, error->message);
  g_dbus_method_invocation_return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_unsubscribe (NetpulseHelper1       *helper,
                    GDBusMethodInvocation *invocation,
                    const char            *path)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  g_autoptr(NetpulseSubscription) subscription = NULL;
  g_autoptr(GError) error = NULL;
  NetpulseSubscription *found;

  found = lookup_subscription (self, invocation, path, &error);
  if (found == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* Keep it alive while it leaves the table. */
  subscription = g_object_ref (found);
  g_message ("%s unsubscribed (%s)", netpulse_subscription_get_owner (subscription), path);
  _netpulse_monitor_remove_subscription (self, subscription);
  netpulse_helper1_complete_unsubscribe (helper, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_snapshot (NetpulseHelper1       *helper,
                     GDBusMethodInvocation *invocation,
                     const char            *path)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  NetpulseSubscription *subscription;
  g_autoptr(GError) error = NULL;

  subscription = lookup_subscription (self, invocation, path, &error);
  if (subscription == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  /* A live subscription implies a running collector. */
  g_assert (self->collector != NULL);

  netpulse_helper1_complete_get_snapshot (helper, invocation,
                                          netpulse_subscription_request_snapshot (subscription));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Not through polkit (see gate_method_call()): only the subscription's
 * owner gets this far, and ids, totals and sequence go on. */
static gboolean
handle_set_options (NetpulseHelper1       *helper,
                    GDBusMethodInvocation *invocation,
                    const char            *path,
                    GVariant              *options)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  NetpulseSubscriptionOptions parsed;
  NetpulseSubscription *subscription;
  g_autoptr(GError) error = NULL;

  subscription = lookup_subscription (self, invocation, path, &error);
  if (subscription != NULL)
    netpulse_subscription_get_options (subscription, &parsed);
  if (subscription == NULL || !netpulse_subscription_parse_options (options, &parsed, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  netpulse_subscription_set_options (subscription, &parsed);
  g_message ("%s: now every %u ms, window %u ms", path, parsed.interval_ms, parsed.window_ms);
  _netpulse_monitor_update_tick (self);
  netpulse_helper1_complete_set_options (helper, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Comes here only when polkit said yes (see authorized_cb() for a no). */
static gboolean
handle_check_authorization (NetpulseHelper1       *helper,
                            GDBusMethodInvocation *invocation,
                            gboolean               interactive)
{
  netpulse_helper1_complete_check_authorization (helper, invocation, TRUE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_check_authorization_details (NetpulseHelper1       *helper,
                                    GDBusMethodInvocation *invocation,
                                    gboolean               interactive)
{
  netpulse_helper1_complete_check_authorization_details (helper, invocation, TRUE, FALSE);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ------------------------------------------------------------------------ */
/* The gate                                                                  */

/* Hands @invocation to the skeleton's own dispatcher, which calls the
 * handle_* vfunc of its method (and takes over the invocation). */
static void
dispatch (NetpulseMonitor       *self,
          GDBusMethodInvocation *invocation)
{
  self->dispatch (g_dbus_method_invocation_get_connection (invocation),
                  g_dbus_method_invocation_get_sender (invocation),
                  g_dbus_method_invocation_get_object_path (invocation),
                  g_dbus_method_invocation_get_interface_name (invocation),
                  g_dbus_method_invocation_get_method_name (invocation),
                  g_dbus_method_invocation_get_parameters (invocation),
                  invocation, self);
}

static void
authorized_cb (GDBusMethodInvocation   *invocation,
               NetpulseAuthorityResult  result,
               const GError            *error,
               gpointer                 user_data)
{
  g_autoptr(NetpulseMonitor) self = user_data;   /* the reference of gate_method_call() */
  const char *method = g_dbus_method_invocation_get_method_name (invocation);

  _netpulse_monitor_publish_counters (self);

  if (result == NETPULSE_AUTHORITY_AUTHORIZED)
    {
      /* Only an authorized call is activity that keeps the helper up. */
      _netpulse_monitor_rearm_idle_timeout (self);
      dispatch (self, invocation);
    }
  else if (g_str_equal (method, "CheckAuthorization") &&
           !g_error_matches (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_BUSY))
    {
      /* It answers rather than fails: a no is an answer. */
      netpulse_helper1_complete_check_authorization (NETPULSE_HELPER1 (self), invocation, FALSE);
    }
  else if (g_str_equal (method, "CheckAuthorizationDetails") &&
           !g_error_matches (error, NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_BUSY))
    {
      netpulse_helper1_complete_check_authorization_details (NETPULSE_HELPER1 (self), invocation, FALSE,
                                                             result == NETPULSE_AUTHORITY_CHALLENGE);
    }
  else
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
    }
}

static void
gate_changed_cb (NetpulseGate *gate,
                 gpointer      user_data)
{
  _netpulse_monitor_publish_counters (user_data);
}

/* In the main context, for every method call of the interface; the
 * connection has checked the method's name and signature already. */
static void
gate_method_call (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *object_path,
                  const char            *interface_name,
                  const char            *method_name,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  NetpulseMonitor *self = user_data;
  gboolean interactive = TRUE;

  /* Unsubscribe only ever ends the caller's own subscriptions, and must
   * not bring up a password prompt.  Nor SetOptions: it only changes how
   * often and how smoothed the caller's own, authorized stream comes (the
   * same bounds as Subscribe), shows nothing new, and a revocation still
   * ends the subscription. */
  if (g_str_equal (method_name, "Unsubscribe") || g_str_equal (method_name, "SetOptions"))
    {
      dispatch (self, invocation);
      return;
    }

  if (g_str_equal (method_name, "CheckAuthorization") ||
      g_str_equal (method_name, "CheckAuthorizationDetails"))
    g_variant_get (parameters, "(b)", &interactive);

  /* Changing what is kept on disk is its own action (auth_admin_keep):
   * one gate per action, so that a pending configure prompt is never
   * shared with a monitor check of the same caller. */
  if (g_str_equal (method_name, "SetRecording") || g_str_equal (method_name, "SetMetricsExport"))
    {
      if (self->configure_gate == NULL)
        {
          self->configure_gate = netpulse_gate_new (self->configure_authority, connection);
          g_signal_connect (self->configure_gate, "changed", G_CALLBACK (gate_changed_cb), self);
        }
      netpulse_gate_authorize (self->configure_gate, invocation, TRUE, authorized_cb, g_object_ref (self));
      return;
    }

  if (self->gate == NULL)
    {
      self->gate = netpulse_gate_new (self->authority, connection);
      g_signal_connect (self->gate, "changed", G_CALLBACK (gate_changed_cb), self);
    }
  netpulse_gate_authorize (self->gate, invocation, interactive, authorized_cb, g_object_ref (self));
}

static GDBusInterfaceVTable *
get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (skeleton);
  GDBusInterfaceSkeletonClass *parent_class =
    G_DBUS_INTERFACE_SKELETON_CLASS (g_type_class_peek (NETPULSE_TYPE_HELPER1_SKELETON));

  if (self->dispatch == NULL)
    {
      self->vtable = *parent_class->get_vtable (skeleton);
      self->dispatch = self->vtable.method_call;
      self->vtable.method_call = gate_method_call;
    }
  return &self->vtable;
}

/* ------------------------------------------------------------------------ */
/* Revocation                                                                */

typedef struct
{
  NetpulseMonitor *self;          /* owned */
  char            *owner;
  GCancellable    *cancellable;
  gboolean         again;         /* polkit changed again meanwhile */
} Recheck;

static void
recheck_free (gpointer data)
{
  Recheck *recheck = data;

  g_object_unref (recheck->cancellable);
  g_free (recheck->owner);
  g_object_unref (recheck->self);
  g_free (recheck);
}

static void start_recheck (NetpulseMonitor *self,
                           const char      *owner);

static void
end_subscriptions_of (NetpulseMonitor *self,
                      const char      *owner,
                      const GError    *reason)
{
  g_autoptr(GPtrArray) ending = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_str_equal (netpulse_subscription_get_owner (value), owner))
      g_ptr_array_add (ending, g_object_ref (value));

  for (guint i = 0; i < ending->len; i++)
    {
      netpulse_monitor_end_subscription (self, g_ptr_array_index (ending, i), reason);
      self->revoked++;
    }
  _netpulse_monitor_publish_counters (self);
}

static void
rechecked_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Recheck *recheck = user_data;
  NetpulseMonitor *self = recheck->self;
  g_autoptr(GError) error = NULL;
  NetpulseAuthorityResult answer;

  answer = netpulse_authority_check_finish (NETPULSE_AUTHORITY (source), result, &error);
  if (g_cancellable_is_cancelled (recheck->cancellable) || self->rechecks == NULL)
    {
      recheck_free (recheck);
      return;
    }

  /* Steal: start_recheck() may add a new one for the same owner. */
  g_hash_table_steal (self->rechecks, recheck->owner);

  switch (answer)
    {
    case NETPULSE_AUTHORITY_DENIED:
      {
        g_autoptr(GError) reason =
          g_error_new_literal (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                               "Your authorization to monitor network connections was revoked");

        g_message ("polkit no longer authorizes %s: ending its subscriptions", recheck->owner);
        end_subscriptions_of (self, recheck->owner, reason);
      }
      break;
    case NETPULSE_AUTHORITY_CHALLENGE:
      g_debug ("%s would need to authenticate again: its subscriptions go on", recheck->owner);
      break;
    case NETPULSE_AUTHORITY_FAILED:
      g_debug ("Could not check %s again: %s", recheck->owner, error->message);
      break;
    case NETPULSE_AUTHORITY_AUTHORIZED:
    default:
      break;
    }

  if (recheck->again)
    start_recheck (self, recheck->owner);
  recheck_free (recheck);
}

static void
start_recheck (NetpulseMonitor *self,
               const char      *owner)
{
  Recheck *recheck = g_hash_table_lookup (self->rechecks, owner);

  if (recheck != NULL)
    {
      /* Its answer may predate the change: ask once more after it. */
      recheck->again = TRUE;
      return;
    }

  recheck = g_new0 (Recheck, 1);
  recheck->self = g_object_ref (self);
  recheck->owner = g_strdup (owner);
  recheck->cancellable = g_cancellable_new ();
  g_hash_table_insert (self->rechecks, recheck->owner, recheck);
  netpulse_authority_check (self->authority, owner, FALSE, recheck->cancellable,
                            rechecked_cb, recheck);
}

/* polkitd's rules (a rules file was written) or its authorizations
 * changed: what it said before may no longer hold. */
static void
authority_changed_cb (NetpulseAuthority *authority,
                      gpointer           user_data)
{
  NetpulseMonitor *self = user_data;
  GHashTableIter iter;
  gpointer key;

  g_debug ("polkit changed: checking the %u subscriber(s) again", g_hash_table_size (self->clients));
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    start_recheck (self, key);
}

/* ------------------------------------------------------------------------ */
/* NetpulseMonitor's life                                                    */

void
_netpulse_monitor_calls_class_init (NetpulseMonitorClass *klass)
{
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  /* g_authorize_method stays GDBus's default (see the top of the file). */
  skeleton_class->get_vtable = get_vtable;
}

void
_netpulse_monitor_calls_iface_init (NetpulseHelper1Iface *iface)
{
  iface->handle_subscribe = handle_subscribe;
  iface->handle_unsubscribe = handle_unsubscribe;
  iface->handle_get_snapshot = handle_get_snapshot;
  iface->handle_set_options = handle_set_options;
  iface->handle_check_authorization = handle_check_authorization;
  iface->handle_check_authorization_details = handle_check_authorization_details;
  _netpulse_monitor_history_iface_init (iface);
  _netpulse_monitor_metrics_iface_init (iface);
}

void
_netpulse_monitor_calls_init (NetpulseMonitor *self)
{
  /* The Recheck owns its key. */
  self->rechecks = g_hash_table_new (g_str_hash, g_str_equal);
}

/* Once the authority is known (netpulse_monitor_new()). */
void
_netpulse_monitor_calls_watch_authority (NetpulseMonitor *self)
{
  g_signal_connect_object (self->authority, "changed", G_CALLBACK (authority_changed_cb), self, 0);
}

gboolean
_netpulse_monitor_calls_pending (NetpulseMonitor *self)
{
  return (self->gate != NULL && netpulse_gate_get_n_pending (self->gate) > 0) ||
         (self->configure_gate != NULL && netpulse_gate_get_n_pending (self->configure_gate) > 0);
}

static void
cancel_rechecks (NetpulseMonitor *self)
{
  GHashTableIter iter;
  gpointer value;

  /* Their callbacks free them. */
  g_hash_table_iter_init (&iter, self->rechecks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_cancellable_cancel (((Recheck *) value)->cancellable);
  g_hash_table_remove_all (self->rechecks);
}

void
_netpulse_monitor_calls_shutdown (NetpulseMonitor *self)
{
  if (self->authority != NULL)
    g_signal_handlers_disconnect_by_func (self->authority, authority_changed_cb, self);
  cancel_rechecks (self);
  if (self->gate != NULL)
    netpulse_gate_cancel_all (self->gate);
  if (self->configure_gate != NULL)
    netpulse_gate_cancel_all (self->configure_gate);
}

void
_netpulse_monitor_calls_finalize (NetpulseMonitor *self)
{
  if (self->gate != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->gate, self);
      netpulse_gate_cancel_all (self->gate);
    }
  g_clear_object (&self->gate);
  if (self->configure_gate != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->configure_gate, self);
      netpulse_gate_cancel_all (self->configure_gate);
    }
  g_clear_object (&self->configure_gate);
  g_clear_pointer (&self->rechecks, g_hash_table_unref);
}
