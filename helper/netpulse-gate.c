/* netpulse-gate.c — the helper's authorization of method calls.
 *
 * Why it is built this way: the helper used to ask polkit synchronously,
 * one method call per thread of GLib's shared pool.  400 unauthorized calls
 * filled the pool with threads waiting for polkit while the thread sending
 * Updates waited for the same bus connection: the helper deadlocked for
 * good, for everyone.  A never-answered password prompt held a thread
 * each, forever.
 *
 * Now every check is an asynchronous polkit call made from the main
 * context, and the number of method calls waiting for one is bounded per
 * caller, per user and in total; beyond that a call is answered at once
 * with Busy.  One caller has at most one interactive check in flight (and
 * one non-interactive one): its other calls share the answer.  A check
 * gives up after a timeout, and is withdrawn when its caller leaves the bus
 * (polkitd then takes the agent's dialog down).  So every call is answered
 * in bounded time and memory, whatever the load, and no thread waits.
 *
 * The user of a caller comes from the bus (GetConnectionUnixUser, also
 * asynchronous), once per caller: a caller with nothing pending stays
 * known (with its uid and the watch on its name) until it leaves the bus,
 * or until NETPULSE_GATE_MAX_IDLE_CALLERS others have been idle since.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-gate"

#include "config.h"

#include "netpulse-gate-private.h"
#include "netpulse-helper-error.h"

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NetpulseGate, netpulse_gate, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* Bookkeeping                                                               */

static guint
uid_pending (NetpulseGate *self,
             guint32       uid)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->per_uid, GUINT_TO_POINTER (uid)));
}

static void
uid_add (NetpulseGate *self,
         guint32       uid,
         int           delta)
{
  guint n = uid_pending (self, uid) + delta;

  if (n == 0)
    g_hash_table_remove (self->per_uid, GUINT_TO_POINTER (uid));
  else
    g_hash_table_insert (self->per_uid, GUINT_TO_POINTER (uid), GUINT_TO_POINTER (n));
}

static void
caller_free (gpointer data)
{
  Caller *caller = data;

  g_assert (caller->checks[0] == NULL && caller->checks[1] == NULL);
  if (caller->idle_link != NULL)
    g_queue_delete_link (&caller->gate->idle_callers, caller->idle_link);
  if (caller->uid_lookup != NULL)
    g_cancellable_cancel (caller->uid_lookup);
  g_clear_object (&caller->uid_lookup);
  /* Ours is the only reference: no "gone" can follow. */
  g_clear_object (&caller->watch);
  g_ptr_array_unref (caller->waiting);
  g_free (caller->name);
  g_free (caller);
}

/* A caller with nothing pending is kept, with its uid, while it is on the
 * bus: its next call needs no GetConnectionUnixUser and no new name
 * watch.  The most recently idle ones only (each watch is a match rule on
 * our connection, and the bus limits those). */
void
_netpulse_gate_caller_maybe_drop (Caller *caller)
{
  NetpulseGate *self = caller->gate;

  if (caller->n_calls > 0 || caller->checks[0] != NULL || caller->checks[1] != NULL ||
      caller->uid_lookup != NULL)
    return;

  if (caller->gone || !caller->has_uid)
    {
      g_hash_table_remove (self->callers, caller->name);
      return;
    }

  if (caller->idle_link == NULL)
    {
      g_queue_push_tail (&self->idle_callers, caller);
      caller->idle_link = self->idle_callers.tail;
    }
  while (self->idle_callers.length > NETPULSE_GATE_MAX_IDLE_CALLERS)
    {
      Caller *oldest = g_queue_peek_head (&self->idle_callers);

      g_hash_table_remove (self->callers, oldest->name);
    }
}

/* Answers @call (and frees it). */
void
_netpulse_gate_finish_call (NetpulseGate            *self,
                            Caller                  *caller,
                            Call                    *call,
                            NetpulseAuthorityResult  result,
                            const GError            *error)
{
  self->n_pending--;
  caller->n_calls--;
  if (call->uid_counted)
    uid_add (self, caller->uid, -1);

  call->func (call->invocation, result, error, call->user_data);
  g_free (call);
}

void
_netpulse_gate_emit_changed (NetpulseGate *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* ------------------------------------------------------------------------ */
/* Callers                                                                   */

static void
refuse_busy (NetpulseGate          *self,
             GDBusMethodInvocation *invocation,
             NetpulseGateFunc       func,
             gpointer               user_data,
             const char            *which)
{
  g_autoptr(GError) error = g_error_new (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_BUSY,
                                         "Too many calls of %s are waiting for authorization: "
                                         "try again later", which);

  self->busy_refusals++;
  func (invocation, NETPULSE_AUTHORITY_FAILED, error, user_data);
}

/* Calls that waited for the uid go on, or are refused if their user has
 * too many pending already. */
static void
release_waiting (NetpulseGate *self,
                 Caller       *caller,
                 const GError *error)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&caller->waiting);

  caller->waiting = g_ptr_array_new ();
  for (guint i = 0; i < waiting->len; i++)
    {
      Call *call = g_ptr_array_index (waiting, i);
      const char *full = NULL;

      self->n_uid_waiting--;
      if (error == NULL && uid_pending (self, caller->uid) >= NETPULSE_GATE_MAX_PENDING_PER_UID)
        full = "this user";
      else if (error == NULL && self->n_pending - self->n_uid_waiting > NETPULSE_GATE_MAX_PENDING)
        full = "all callers";

      if (error != NULL)
        _netpulse_gate_finish_call (self, caller, call, NETPULSE_AUTHORITY_FAILED, error);
      else if (full != NULL)
        {
          GDBusMethodInvocation *invocation = call->invocation;
          NetpulseGateFunc func = call->func;
          gpointer user_data = call->user_data;

          self->n_pending--;
          caller->n_calls--;
          g_free (call);
          refuse_busy (self, invocation, func, user_data, full);
        }
      else
        {
          call->uid_counted = TRUE;
          uid_add (self, caller->uid, 1);
          _netpulse_gate_start_or_join (self, caller, call);
        }
    }
}

static void
got_uid_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  Caller *caller;

  /* Cancelled when the caller is dropped: @user_data is gone then. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  caller = user_data;
  g_clear_object (&caller->uid_lookup);

  if (reply == NULL)
    {
      g_autoptr(GError) refusal = g_error_new (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                                               "Could not tell who the caller is: %s", error->message);

      g_debug ("No user for %s: %s", caller->name, error->message);
      release_waiting (caller->gate, caller, refusal);
    }
  else
    {
      g_variant_get (reply, "(u)", &caller->uid);
      caller->has_uid = TRUE;
      release_waiting (caller->gate, caller, NULL);
    }

  {
    NetpulseGate *self = caller->gate;

    _netpulse_gate_caller_maybe_drop (caller);
    _netpulse_gate_emit_changed (self);
  }
}

static void
caller_gone_cb (NetpulseNameWatch *watch,
                gpointer           user_data)
{
  Caller *caller = user_data;
  NetpulseGate *self = caller->gate;
  g_autoptr(GError) error = g_error_new_literal (NETPULSE_HELPER_ERROR,
                                                 NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                                                 "The caller left the bus");

  g_debug ("%s left the bus with %u call(s) waiting for authorization: withdrawing them",
           caller->name, caller->n_calls);
  caller->gone = TRUE;

  if (caller->uid_lookup != NULL)
    {
      g_cancellable_cancel (caller->uid_lookup);
      g_clear_object (&caller->uid_lookup);
    }
  release_waiting (self, caller, error);

  /* Their callbacks answer the calls and drop the caller. */
  for (guint i = 0; i < G_N_ELEMENTS (caller->checks); i++)
    if (caller->checks[i] != NULL)
      _netpulse_gate_check_withdraw (caller->checks[i], "The caller left the bus");

  _netpulse_gate_caller_maybe_drop (caller);
  _netpulse_gate_emit_changed (self);
}

static Caller *
caller_new (NetpulseGate *self,
            const char   *name)
{
  Caller *caller = g_new0 (Caller, 1);

  caller->gate = self;
  caller->name = g_strdup (name);
  caller->waiting = g_ptr_array_new ();
  caller->watch = netpulse_name_watch_new (self->connection, name);
  g_signal_connect (caller->watch, "gone", G_CALLBACK (caller_gone_cb), caller);

  caller->uid_lookup = g_cancellable_new ();
  g_dbus_connection_call (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", name), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, caller->uid_lookup, got_uid_cb, caller);

  g_hash_table_insert (self->callers, caller->name, caller);
  return caller;
}

/* ------------------------------------------------------------------------ */
/* API                                                                       */

void
netpulse_gate_authorize (NetpulseGate          *self,
                         GDBusMethodInvocation *invocation,
                         gboolean               interactive,
                         NetpulseGateFunc       func,
                         gpointer               user_data)
{
  const char *full = NULL;
  const char *sender;
  Caller *caller;
  Call *call;

  g_return_if_fail (NETPULSE_IS_GATE (self));
  g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));
  g_return_if_fail (func != NULL);

  sender = g_dbus_method_invocation_get_sender (invocation);
  caller = g_hash_table_lookup (self->callers, sender);

  /* The caps.  Calls of a caller whose uid is not known yet (its first
   * ones) have a small cap of their own: they cannot fill the others'. */
  if (caller != NULL && caller->n_calls >= (caller->has_uid ? NETPULSE_GATE_MAX_PENDING_PER_CALLER
                                                             : NETPULSE_GATE_MAX_NEW_PER_CALLER))
    full = "this connection";
  else if (caller != NULL && caller->has_uid &&
           uid_pending (self, caller->uid) >= NETPULSE_GATE_MAX_PENDING_PER_UID)
    full = "this user";
  else if (caller != NULL && caller->has_uid &&
           self->n_pending - self->n_uid_waiting >= NETPULSE_GATE_MAX_PENDING)
    full = "all callers";
  else if ((caller == NULL || !caller->has_uid) &&
           self->n_uid_waiting >= NETPULSE_GATE_MAX_NEW_CALLS)
    full = "new callers";
  if (full != NULL)
    {
      refuse_busy (self, invocation, func, user_data, full);
      _netpulse_gate_emit_changed (self);
      return;
    }

  if (caller == NULL)
    caller = caller_new (self, sender);
  else if (caller->idle_link != NULL)
    {
      g_queue_delete_link (&self->idle_callers, caller->idle_link);
      caller->idle_link = NULL;
    }

  call = g_new0 (Call, 1);
  call->invocation = invocation;
  call->interactive = !!interactive;
  call->func = func;
  call->user_data = user_data;
  self->n_pending++;
  caller->n_calls++;

  if (caller->has_uid)
    {
      call->uid_counted = TRUE;
      uid_add (self, caller->uid, 1);
      _netpulse_gate_start_or_join (self, caller, call);
    }
  else
    {
      self->n_uid_waiting++;
      g_ptr_array_add (caller->waiting, call);
    }

  _netpulse_gate_emit_changed (self);
}

guint
netpulse_gate_get_n_pending (NetpulseGate *self)
{
  g_return_val_if_fail (NETPULSE_IS_GATE (self), 0);

  return self->n_pending;
}

void
netpulse_gate_add_counters (NetpulseGate    *self,
                            GVariantBuilder *builder)
{
  g_return_if_fail (NETPULSE_IS_GATE (self));

  g_variant_builder_add (builder, "{st}", "pending-authorizations", (guint64) self->n_pending);
  g_variant_builder_add (builder, "{st}", "authorization-checks", (guint64) self->n_checks);
  g_variant_builder_add (builder, "{st}", "busy-refusals", self->busy_refusals);
}

/* What netpulse_gate_add_counters() adds for a gate that does not exist
 * yet: a reader sees the same keys from a helper that nobody called. */
void
netpulse_gate_add_zero_counters (GVariantBuilder *builder)
{
  g_variant_builder_add (builder, "{st}", "pending-authorizations", (guint64) 0);
  g_variant_builder_add (builder, "{st}", "authorization-checks", (guint64) 0);
  g_variant_builder_add (builder, "{st}", "busy-refusals", (guint64) 0);
}

void
netpulse_gate_cancel_all (NetpulseGate *self)
{
  g_autoptr(GPtrArray) callers = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (NETPULSE_IS_GATE (self));

  error = g_error_new_literal (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                               "The helper is shutting down");

  /* A copy: callers leave the table on the way. */
  callers = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->callers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (callers, value);
  for (guint i = 0; i < callers->len; i++)
    {
      Caller *caller = g_ptr_array_index (callers, i);

      if (caller->uid_lookup != NULL)
        {
          g_cancellable_cancel (caller->uid_lookup);
          g_clear_object (&caller->uid_lookup);
        }
      release_waiting (self, caller, error);
      for (guint k = 0; k < G_N_ELEMENTS (caller->checks); k++)
        if (caller->checks[k] != NULL)
          _netpulse_gate_check_withdraw (caller->checks[k], "The helper is shutting down");
      _netpulse_gate_caller_maybe_drop (caller);
    }
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                   */

static void
netpulse_gate_finalize (GObject *object)
{
  NetpulseGate *self = NETPULSE_GATE (object);

  /* Every check holds a reference: none is in flight now, so every
   * caller left has only an uid lookup, if anything. */
  /* Before the queue: a caller unlinks itself from it. */
  g_clear_pointer (&self->callers, g_hash_table_unref);
  g_queue_clear (&self->idle_callers);
  g_clear_pointer (&self->per_uid, g_hash_table_unref);
  g_clear_object (&self->authority);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (netpulse_gate_parent_class)->finalize (object);
}

static void
netpulse_gate_class_init (NetpulseGateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_gate_finalize;

  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
netpulse_gate_init (NetpulseGate *self)
{
  self->callers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, caller_free);
  self->per_uid = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_queue_init (&self->idle_callers);
}

NetpulseGate *
netpulse_gate_new (NetpulseAuthority *authority,
                   GDBusConnection   *connection)
{
  NetpulseGate *self;

  g_return_val_if_fail (NETPULSE_IS_AUTHORITY (authority), NULL);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  self = g_object_new (NETPULSE_TYPE_GATE, NULL);
  self->authority = g_object_ref (authority);
  self->connection = g_object_ref (connection);
  return self;
}
