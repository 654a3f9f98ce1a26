/* netpulse-name-watch.c — see netpulse-name-watch.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-name-watch"

#include "config.h"

#include "netpulse-name-watch.h"

struct _NetpulseNameWatch
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *name;
  guint            name_owner_changed_id;
  GCancellable    *presence_check;
  gboolean         gone;
};

enum {
  GONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NetpulseNameWatch, netpulse_name_watch, G_TYPE_OBJECT)

static void
set_gone (NetpulseNameWatch *self)
{
  if (self->gone)
    return;
  self->gone = TRUE;
  g_debug ("%s has left the bus", self->name);
  /* A handler may well drop the watch: keep it alive until we are done. */
  g_object_ref (self);
  g_signal_emit (self, signals[GONE], 0);
  g_object_unref (self);
}

static void
name_owner_changed_cb (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  NetpulseNameWatch *self = user_data;
  const char *name, *old_owner, *new_owner;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sss)")))
    return;
  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (g_str_equal (name, self->name) && new_owner[0] == '\0')
    set_gone (self);
}

static void
presence_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  NetpulseNameWatch *self;
  gboolean present = TRUE;

  /* Cancelled when the watch is finalized: @user_data is gone then. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  g_clear_object (&self->presence_check);
  if (reply == NULL)
    {
      /* No answer is not an answer: if the name goes, NameOwnerChanged
       * says so. */
      g_warning ("Could not check whether %s is on the bus: %s", self->name, error->message);
      return;
    }

  g_variant_get (reply, "(b)", &present);
  if (!present)
    set_gone (self);
}

static void
netpulse_name_watch_finalize (GObject *object)
{
  NetpulseNameWatch *self = NETPULSE_NAME_WATCH (object);

  if (self->presence_check != NULL)
    g_cancellable_cancel (self->presence_check);
  g_clear_object (&self->presence_check);
  g_dbus_connection_signal_unsubscribe (self->connection, self->name_owner_changed_id);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (netpulse_name_watch_parent_class)->finalize (object);
}

static void
netpulse_name_watch_class_init (NetpulseNameWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_name_watch_finalize;

  /**
   * NetpulseNameWatch::gone:
   *
   * The name has left the bus (its connection closed).  Emitted once.
   */
  signals[GONE] = g_signal_new ("gone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
netpulse_name_watch_init (NetpulseNameWatch *self)
{
}

NetpulseNameWatch *
netpulse_name_watch_new (GDBusConnection *connection,
                         const char      *unique_name)
{
  NetpulseNameWatch *self;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (unique_name != NULL && g_dbus_is_unique_name (unique_name), NULL);

  self = g_object_new (NETPULSE_TYPE_NAME_WATCH, NULL);
  self->connection = g_object_ref (connection);
  self->name = g_strdup (unique_name);

  /* The signal subscription goes to the bus before the question: a name
   * that leaves after the bus took our match rule is seen through the
   * signal, one that left before through the answer. */
  self->name_owner_changed_id =
    g_dbus_connection_signal_subscribe (connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                        "NameOwnerChanged", "/org/freedesktop/DBus", unique_name,
                                        G_DBUS_SIGNAL_FLAGS_NONE, name_owner_changed_cb, self, NULL);
  self->presence_check = g_cancellable_new ();
  g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", unique_name),
                          G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          self->presence_check, presence_checked_cb, self);
  return self;
}

const char *
netpulse_name_watch_get_name (NetpulseNameWatch *self)
{
  g_return_val_if_fail (NETPULSE_IS_NAME_WATCH (self), NULL);

  return self->name;
}

gboolean
netpulse_name_watch_is_gone (NetpulseNameWatch *self)
{
  g_return_val_if_fail (NETPULSE_IS_NAME_WATCH (self), TRUE);

  return self->gone;
}
