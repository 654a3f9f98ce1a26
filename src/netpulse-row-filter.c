/* netpulse-row-filter.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-row-filter"

#include "config.h"

#include <string.h>

#include "netpulse-row.h"
#include "netpulse-app-group.h"
#include "netpulse-row-filter.h"

struct _NetpulseRowFilter
{
  GtkFilter  parent_instance;

  char      *search;
  gboolean   show_closed;
  gboolean   include_local;
};

G_DEFINE_FINAL_TYPE (NetpulseRowFilter, netpulse_row_filter, GTK_TYPE_FILTER)

enum {
  PROP_0,
  PROP_SEARCH,
  PROP_SHOW_CLOSED,
  PROP_INCLUDE_LOCAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
parent_matches (GtkTreeListRow *row,
                const char     *search)
{
  g_autoptr(GtkTreeListRow) parent = gtk_tree_list_row_get_parent (row);
  g_autoptr(GObject) item = NULL;

  if (parent == NULL)
    return FALSE;
  item = gtk_tree_list_row_get_item (parent);
  /* A process that matches by name shows all its connections. */
  return NETPULSE_IS_ROW (item) && netpulse_row_matches (NETPULSE_ROW (item), search);
}

/* A connection by its addresses; a process or an application when all it
 * has is local. */
static gboolean
row_is_local (NetpulseRow *row)
{
  GListModel *children = NULL;
  guint n;

  if (NETPULSE_IS_CONNECTION (row))
    return netpulse_connection_is_local (NETPULSE_CONNECTION (row));
  if (NETPULSE_IS_PROCESS_GROUP (row))
    children = netpulse_process_group_get_connections (NETPULSE_PROCESS_GROUP (row));
  else if (NETPULSE_IS_APP_GROUP (row))
    children = netpulse_app_group_get_processes (NETPULSE_APP_GROUP (row));
  if (children == NULL || (n = g_list_model_get_n_items (children)) == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) child = g_list_model_get_item (children, i);

      if (!row_is_local (child))
        return FALSE;
    }
  return TRUE;
}

/* Hidden by Show Closed or Include Local, whatever is searched for. */
static gboolean
hidden_by_settings (NetpulseRowFilter *self,
                    NetpulseRow       *row)
{
  return (!self->show_closed && netpulse_row_get_closed (row)) ||
         (!self->include_local && row_is_local (row));
}

static gboolean
netpulse_row_filter_match (GtkFilter *filter,
                           gpointer   item)
{
  NetpulseRowFilter *self = NETPULSE_ROW_FILTER (filter);
  g_autoptr(GObject) inner = NULL;
  NetpulseRow *row;

  /* The flat list's items are rows: borrowed, as the list holds them
   * (this runs for every row on every update). */
  if (G_TYPE_FROM_INSTANCE (item) == GTK_TYPE_TREE_LIST_ROW)
    {
      inner = gtk_tree_list_row_get_item (item);
      if (!NETPULSE_IS_ROW (inner))
        return FALSE;
      row = NETPULSE_ROW (inner);
    }
  else if (NETPULSE_IS_ROW (item))
    row = item;
  else
    return FALSE;

  if (hidden_by_settings (self, row))
    return FALSE;
  if (self->search == NULL)
    return TRUE;
  if (netpulse_row_matches (row, self->search))
    return TRUE;
  return GTK_IS_TREE_LIST_ROW (item) && parent_matches (item, self->search);
}

static GtkFilterMatch
netpulse_row_filter_get_strictness (GtkFilter *filter)
{
  NetpulseRowFilter *self = NETPULSE_ROW_FILTER (filter);

  if (self->search == NULL && self->show_closed && self->include_local)
    return GTK_FILTER_MATCH_ALL;
  return GTK_FILTER_MATCH_SOME;
}

static void
netpulse_row_filter_finalize (GObject *object)
{
  g_free (NETPULSE_ROW_FILTER (object)->search);
  G_OBJECT_CLASS (netpulse_row_filter_parent_class)->finalize (object);
}

static void
netpulse_row_filter_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NetpulseRowFilter *self = NETPULSE_ROW_FILTER (object);

  switch (prop_id)
    {
    case PROP_SEARCH:      g_value_set_string (value, self->search); break;
    case PROP_SHOW_CLOSED: g_value_set_boolean (value, self->show_closed); break;
    case PROP_INCLUDE_LOCAL: g_value_set_boolean (value, self->include_local); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_row_filter_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  NetpulseRowFilter *self = NETPULSE_ROW_FILTER (object);

  switch (prop_id)
    {
    case PROP_SEARCH:      netpulse_row_filter_set_search (self, g_value_get_string (value)); break;
    case PROP_SHOW_CLOSED: netpulse_row_filter_set_show_closed (self, g_value_get_boolean (value)); break;
    case PROP_INCLUDE_LOCAL: netpulse_row_filter_set_include_local (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_row_filter_class_init (NetpulseRowFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkFilterClass *filter_class = GTK_FILTER_CLASS (klass);

  object_class->finalize = netpulse_row_filter_finalize;
  object_class->get_property = netpulse_row_filter_get_property;
  object_class->set_property = netpulse_row_filter_set_property;
  filter_class->match = netpulse_row_filter_match;
  filter_class->get_strictness = netpulse_row_filter_get_strictness;

  properties[PROP_SEARCH] =
    g_param_spec_string ("search", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_CLOSED] =
    g_param_spec_boolean ("show-closed", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INCLUDE_LOCAL] =
    g_param_spec_boolean ("include-local", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_row_filter_init (NetpulseRowFilter *self)
{
  self->show_closed = TRUE;
  self->include_local = TRUE;
}

NetpulseRowFilter *
netpulse_row_filter_new (void)
{
  return g_object_new (NETPULSE_TYPE_ROW_FILTER, NULL);
}

void
netpulse_row_filter_set_search (NetpulseRowFilter *self,
                                const char        *search)
{
  g_autofree char *stripped = NULL;
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  g_return_if_fail (NETPULSE_IS_ROW_FILTER (self));

  stripped = g_strstrip (g_strdup (search != NULL ? search : ""));
  if (stripped[0] == '\0')
    g_clear_pointer (&stripped, g_free);
  if (g_strcmp0 (stripped, self->search) == 0)
    return;

  /* Typing more only ever hides rows; deleting only shows more. */
  if (self->search == NULL || (stripped != NULL && strstr (stripped, self->search) == stripped))
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (stripped == NULL || strstr (self->search, stripped) == self->search)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  g_free (self->search);
  self->search = g_steal_pointer (&stripped);
  gtk_filter_changed (GTK_FILTER (self), change);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
}

const char *
netpulse_row_filter_get_search (NetpulseRowFilter *self)
{
  return self->search;
}

void
netpulse_row_filter_set_show_closed (NetpulseRowFilter *self,
                                     gboolean           show_closed)
{
  g_return_if_fail (NETPULSE_IS_ROW_FILTER (self));

  show_closed = !!show_closed;
  if (self->show_closed == show_closed)
    return;
  self->show_closed = show_closed;
  gtk_filter_changed (GTK_FILTER (self), show_closed ? GTK_FILTER_CHANGE_LESS_STRICT
                                                     : GTK_FILTER_CHANGE_MORE_STRICT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_CLOSED]);
}

gboolean
netpulse_row_filter_get_show_closed (NetpulseRowFilter *self)
{
  return self->show_closed;
}

void
netpulse_row_filter_set_include_local (NetpulseRowFilter *self,
                                       gboolean           include_local)
{
  g_return_if_fail (NETPULSE_IS_ROW_FILTER (self));

  include_local = !!include_local;
  if (self->include_local == include_local)
    return;
  self->include_local = include_local;
  gtk_filter_changed (GTK_FILTER (self), include_local ? GTK_FILTER_CHANGE_LESS_STRICT
                                                       : GTK_FILTER_CHANGE_MORE_STRICT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCLUDE_LOCAL]);
}

gboolean
netpulse_row_filter_get_include_local (NetpulseRowFilter *self)
{
  return self->include_local;
}

static guint
count_process_connections (NetpulseRowFilter    *self,
                           NetpulseProcessGroup *process)
{
  GListModel *connections = netpulse_process_group_get_connections (process);
  guint n = g_list_model_get_n_items (connections), n_shown = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseRow) connection = g_list_model_get_item (connections, i);

      n_shown += !hidden_by_settings (self, connection);
    }
  return n_shown;
}

guint
netpulse_row_filter_count_connections (NetpulseRowFilter *self,
                                       NetpulseRow       *group)
{
  GListModel *processes;
  guint n, n_shown = 0;

  g_return_val_if_fail (NETPULSE_IS_ROW_FILTER (self), 0);

  if (NETPULSE_IS_PROCESS_GROUP (group))
    {
      if (self->show_closed && self->include_local)
        return netpulse_process_group_get_n_connections (NETPULSE_PROCESS_GROUP (group));
      return count_process_connections (self, NETPULSE_PROCESS_GROUP (group));
    }
  g_return_val_if_fail (NETPULSE_IS_APP_GROUP (group), 0);
  if (self->show_closed && self->include_local)
    return netpulse_app_group_get_n_connections (NETPULSE_APP_GROUP (group));
  processes = netpulse_app_group_get_processes (NETPULSE_APP_GROUP (group));
  n = g_list_model_get_n_items (processes);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NetpulseProcessGroup) process = g_list_model_get_item (processes, i);

      n_shown += count_process_connections (self, process);
    }
  return n_shown;
}
