/* netpulse-app-group.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-app-group"

#include "config.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n.h>

#include "netpulse-app-finder.h"
#include "netpulse-app-group.h"

struct _NetpulseAppGroup
{
  NetpulseRow  parent_instance;

  char        *key;
  char        *app_id;
  guint8       kind;
  GListStore  *processes;
  guint        n_connections;
  guint64      gone_rx_bytes;   /* of connections no longer in the table */
  guint64      gone_tx_bytes;
};

G_DEFINE_FINAL_TYPE (NetpulseAppGroup, netpulse_app_group, NETPULSE_TYPE_ROW)

enum {
  PROP_0,
  PROP_N_CONNECTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
netpulse_app_group_matches (NetpulseRow *row,
                            const char  *word)
{
  NetpulseAppGroup *self = NETPULSE_APP_GROUP (row);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->processes));

  if (NETPULSE_ROW_CLASS (netpulse_app_group_parent_class)->matches (row, word))
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) process = g_list_model_get_item (G_LIST_MODEL (self->processes), i);

      if (netpulse_row_matches_word (process, word))
        return TRUE;
    }
  return FALSE;
}

static void
netpulse_app_group_finalize (GObject *object)
{
  NetpulseAppGroup *self = NETPULSE_APP_GROUP (object);

  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->app_id, g_free);
  g_clear_object (&self->processes);

  G_OBJECT_CLASS (netpulse_app_group_parent_class)->finalize (object);
}

static void
netpulse_app_group_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NetpulseAppGroup *self = NETPULSE_APP_GROUP (object);

  switch (prop_id)
    {
    case PROP_N_CONNECTIONS:
      g_value_set_uint (value, self->n_connections);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_app_group_class_init (NetpulseAppGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_app_group_finalize;
  object_class->get_property = netpulse_app_group_get_property;
  NETPULSE_ROW_CLASS (klass)->matches = netpulse_app_group_matches;

  properties[PROP_N_CONNECTIONS] =
    g_param_spec_uint ("n-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_app_group_init (NetpulseAppGroup *self)
{
  self->processes = g_list_store_new (NETPULSE_TYPE_PROCESS_GROUP);
}

static void
identity_of (const NetpulseRecord *record,
             const char          **app_id,
             guint8               *kind)
{
  if (record->app_id[0] != '\0')
    {
      *app_id = record->app_id;
      *kind = record->app_kind;
    }
  else
    {
      *app_id = record->comm;
      *kind = NETPULSE_APP_KIND_PROCESS;
    }
}

char *
netpulse_app_group_make_key (const NetpulseRecord *record)
{
  const char *app_id;
  guint8 kind;

  identity_of (record, &app_id, &kind);
  return g_strdup_printf ("%s/%s", netpulse_app_kind_name (kind), app_id);
}

/* Name and icon as netpulse_app_finder_describe() gives them. */
static void
describe (NetpulseAppGroup *self)
{
  g_autofree char *name = NULL;
  g_autoptr(GIcon) icon = NULL;

  netpulse_app_finder_describe (self->kind, self->app_id, &name, &icon);
  netpulse_row_set_display (NETPULSE_ROW (self), name, icon);
}

NetpulseAppGroup *
netpulse_app_group_new (const NetpulseRecord *record)
{
  NetpulseAppGroup *self;
  const char *app_id;
  guint8 kind;
  g_autofree char *key = netpulse_app_group_make_key (record);

  identity_of (record, &app_id, &kind);
  /* A stable id for tie-breaking in sorts. */
  self = g_object_new (NETPULSE_TYPE_APP_GROUP, "id", (guint64) g_str_hash (key), NULL);
  self->key = g_steal_pointer (&key);
  self->app_id = g_strdup (app_id);
  self->kind = kind;
  netpulse_row_set_process (NETPULSE_ROW (self), 0, app_id);
  netpulse_row_set_user (NETPULSE_ROW (self), record->uid, "");
  describe (self);
  return self;
}

const char *
netpulse_app_group_get_key (NetpulseAppGroup *self)
{
  return self->key;
}

const char *
netpulse_app_group_get_app_id (NetpulseAppGroup *self)
{
  return self->app_id;
}

guint8
netpulse_app_group_get_kind (NetpulseAppGroup *self)
{
  return self->kind;
}

GListModel *
netpulse_app_group_get_processes (NetpulseAppGroup *self)
{
  return G_LIST_MODEL (self->processes);
}

guint
netpulse_app_group_get_n_connections (NetpulseAppGroup *self)
{
  return self->n_connections;
}

void
netpulse_app_group_add_process (NetpulseAppGroup     *self,
                                NetpulseProcessGroup *process)
{
  NetpulseRow *row = NETPULSE_ROW (process);

  g_list_store_append (self->processes, process);
  /* A plain process: its own name and icon as the app finder found them
   * (a desktop file matched by executable), once there is one. */
  if (self->kind == NETPULSE_APP_KIND_PROCESS && netpulse_row_get_icon (row) != NULL &&
      g_strcmp0 (netpulse_row_get_display_name (row), netpulse_row_get_comm (row)) != 0)
    netpulse_row_set_display (NETPULSE_ROW (self), netpulse_row_get_display_name (row),
                              netpulse_row_get_icon (row));
}

void
netpulse_app_group_remove_process (NetpulseAppGroup     *self,
                                   NetpulseProcessGroup *process)
{
  guint position;

  if (g_list_store_find (self->processes, process, &position))
    g_list_store_remove (self->processes, position);
}

void
netpulse_app_group_add_gone (NetpulseAppGroup *self,
                             guint64           rx_bytes,
                             guint64           tx_bytes)
{
  self->gone_rx_bytes += rx_bytes;
  self->gone_tx_bytes += tx_bytes;
}

/* Who runs an application: the user of its processes, or how many users
 * when they differ (the user of whichever process came last said nothing
 * true).  Filled by the pass over the processes that sums them. */
typedef struct {
  NetpulseRow *first;   /* a process with connections; the application holds it */
  GHashTable  *uids;    /* once a second uid was seen */
} Users;

static void
users_add (Users       *users,
           NetpulseRow *process)
{
  if (users->first == NULL)
    {
      users->first = process;
      return;
    }
  if (users->uids == NULL && netpulse_row_get_uid (process) != netpulse_row_get_uid (users->first))
    {
      users->uids = g_hash_table_new (NULL, NULL);
      g_hash_table_add (users->uids, GUINT_TO_POINTER (netpulse_row_get_uid (users->first)));
    }
  if (users->uids != NULL)
    g_hash_table_add (users->uids, GUINT_TO_POINTER (netpulse_row_get_uid (process)));
}

static void
users_apply (Users            *users,
             NetpulseAppGroup *self)
{
  g_autofree char *several = NULL;
  guint n;

  if (users->first == NULL)
    return;
  if (users->uids == NULL)
    {
      netpulse_row_set_user (NETPULSE_ROW (self), netpulse_row_get_uid (users->first),
                             netpulse_row_get_user (users->first));
      return;
    }
  n = g_hash_table_size (users->uids);
  several = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u user", "%u users", n), n);
  netpulse_row_set_user (NETPULSE_ROW (self), G_MAXUINT, several);
  g_clear_pointer (&users->uids, g_hash_table_unref);
}

/* From its processes' sums (netpulse_process_group_recompute() went over
 * the connections), plus what left the table. */
void
netpulse_app_group_recompute (NetpulseAppGroup *self,
                              guint64           tick)
{
  GListModel *processes = G_LIST_MODEL (self->processes);
  guint n_processes = g_list_model_get_n_items (processes);
  double rx_rate = 0.0, tx_rate = 0.0;
  guint64 rx_bytes = self->gone_rx_bytes, tx_bytes = self->gone_tx_bytes;
  guint n_connections = 0;
  gboolean closed = TRUE;
  Users users = { NULL, NULL };

  for (guint i = 0; i < n_processes; i++)
    {
      g_autoptr(NetpulseProcessGroup) process = g_list_model_get_item (processes, i);
      NetpulseRow *row = NETPULSE_ROW (process);
      guint n = netpulse_process_group_get_n_connections (process);
      double rx, tx;

      if (n == 0)
        continue;
      netpulse_process_group_get_app_rates (process, &rx, &tx);
      rx_rate += rx;
      tx_rate += tx;
      rx_bytes += netpulse_row_get_rx_bytes (row);
      tx_bytes += netpulse_row_get_tx_bytes (row);
      closed = closed && netpulse_row_get_closed (row);
      n_connections += n;
      users_add (&users, row);
    }

  netpulse_row_set_traffic (NETPULSE_ROW (self), tick, rx_rate, tx_rate, rx_bytes, tx_bytes);
  users_apply (&users, self);
  /* Without a connection left the application is history: shown like a
   * closed connection (and hidden with them). */
  netpulse_row_set_closed (NETPULSE_ROW (self), closed);
  if (n_connections != self->n_connections)
    {
      self->n_connections = n_connections;
      netpulse_row_mark_changed (NETPULSE_ROW (self));
    }
  netpulse_row_emit_changed (NETPULSE_ROW (self));
}
