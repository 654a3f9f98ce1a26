/* netpulse-detail-pane.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-detail-pane"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "netpulse-connection.h"
#include "netpulse-detail-pane.h"
#include "netpulse-format.h"
#include "netpulse-app-group.h"
#include "netpulse-process-group.h"
#include "netpulse-sparkline.h"
#include "netpulse-text.h"

typedef enum {
  FIELD_PROCESS,
  FIELD_EXECUTABLE,
  FIELD_COMMAND_LINE,
  FIELD_UNIT,
  FIELD_USER,
  FIELD_PROTOCOL,
  FIELD_LOCAL,
  FIELD_REMOTE,
  FIELD_STATE,
  FIELD_RTT,
  FIELD_RETRANS,
  FIELD_RECEIVED,
  FIELD_SENT,
  FIELD_PACKETS,
  FIELD_CONNECTIONS,
  FIELD_FIRST_SEEN,
  FIELD_LAST_SEEN,
  FIELD_CGROUP,
  FIELD_NETNS,
  N_FIELDS
} Field;

static const struct {
  const char *title;
  gboolean    connection_only;
} fields[N_FIELDS] = {
  [FIELD_PROCESS]     = { N_("Process"), FALSE },
  [FIELD_EXECUTABLE]  = { N_("Executable"), FALSE },
  [FIELD_COMMAND_LINE] = { N_("Command line"), FALSE },
  [FIELD_UNIT]        = { N_("Service or scope"), FALSE },
  [FIELD_USER]        = { N_("User"), FALSE },
  [FIELD_PROTOCOL]    = { N_("Protocol"), TRUE },
  [FIELD_LOCAL]       = { N_("Local address"), TRUE },
  [FIELD_REMOTE]      = { N_("Remote address"), TRUE },
  [FIELD_STATE]       = { N_("State"), TRUE },
  [FIELD_RTT]         = { N_("Round-trip time"), TRUE },
  [FIELD_RETRANS]     = { N_("Retransmitted segments"), TRUE },
  [FIELD_RECEIVED]    = { N_("Received"), FALSE },
  [FIELD_SENT]        = { N_("Sent"), FALSE },
  [FIELD_PACKETS]     = { N_("Receive / send calls"), TRUE },
  [FIELD_CONNECTIONS] = { N_("Connections"), FALSE },
  [FIELD_FIRST_SEEN]  = { N_("First seen"), TRUE },
  [FIELD_LAST_SEEN]   = { N_("Last activity"), TRUE },
  [FIELD_CGROUP]      = { N_("Control group id"), TRUE },
  [FIELD_NETNS]       = { N_("Network namespace"), TRUE },
};

struct _NetpulseDetailPane
{
  GtkWidget            parent_instance;

  GtkWidget           *scroller;
  GtkWidget           *icon;
  GtkWidget           *title;
  GtkWidget           *subtitle;
  NetpulseSparkline   *graph;
  GtkWidget           *rx_label;
  GtkWidget           *tx_label;
  AdwPreferencesGroup *fields_group;

  GtkWidget           *rows[N_FIELDS];
  GtkWidget           *values[N_FIELDS];

  NetpulseViewOptions *options;
  NetpulseRow         *row;
  gulong               notify_id;
  gulong               options_id;
  guint64              local_netns;  /* this machine's network namespace; 0: not known */
};

G_DEFINE_FINAL_TYPE (NetpulseDetailPane, netpulse_detail_pane, GTK_TYPE_WIDGET)

/* Process, user and host names come from outside: shown escaped. */
static void
set_safe_text (GtkWidget  *label,
               const char *text)
{
  g_autofree char *safe = NULL;

  gtk_label_set_text (GTK_LABEL (label), text != NULL ? netpulse_text_safe (text, &safe) : "");
}

static void
set_value (NetpulseDetailPane *self,
           Field               field,
           const char         *value)
{
  set_safe_text (self->values[field], value);
}

static void
take_value (NetpulseDetailPane *self,
            Field               field,
            char               *value)
{
  set_value (self, field, value);
  g_free (value);
}

/* A namespace inode says nothing to a person: whether it is this
 * machine's own network, or another one (a container's, a test's). */
static char *
format_netns (NetpulseDetailPane *self,
              guint64             netns)
{
  g_autofree char *inode = g_strdup_printf ("%" G_GUINT64_FORMAT, netns);

  if (netns == 0)
    return g_strdup (_("Not known"));
  if (self->local_netns != 0 && netns == self->local_netns)
    return g_strdup (_("This machine"));
  if (self->local_netns != 0)
    /* Translators: %s is the namespace's inode number. */
    return g_strdup_printf (_("Other namespace (inode %s)"), inode);
  /* Translators: %s is the namespace's inode number (of a recording's machine). */
  return g_strdup_printf (_("Namespace (inode %s)"), inode);
}

static void
refresh_connection (NetpulseDetailPane   *self,
                    const NetpulseRecord *r)
{
  set_value (self, FIELD_PROTOCOL, netpulse_format_protocol (r->proto, r->family, r->flags));
  take_value (self, FIELD_LOCAL, netpulse_format_endpoint (r->laddr, r->lport));
  take_value (self, FIELD_REMOTE, netpulse_format_remote (r));
  set_value (self, FIELD_STATE, (r->flags & NETPULSE_RECORD_CLOSED) ? _("Closed")
                                : netpulse_format_state (r->proto, r->state));
  take_value (self, FIELD_RTT, netpulse_format_rtt (r->rtt_us));
  take_value (self, FIELD_RETRANS, g_strdup_printf ("%u", r->retrans));
  take_value (self, FIELD_PACKETS, g_strdup_printf ("%" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                                                    r->rx_packets, r->tx_packets));
  take_value (self, FIELD_FIRST_SEEN, netpulse_format_time (r->first_seen_ns));
  take_value (self, FIELD_LAST_SEEN, netpulse_format_time (r->last_seen_ns));
  take_value (self, FIELD_CGROUP, g_strdup_printf ("%" G_GUINT64_FORMAT, r->cgroup_id));
  take_value (self, FIELD_NETNS, format_netns (self, r->netns));
}

/* The executable and command line of a process (or a connection's), when
 * the helper sent them; an application shows its id and kind instead of a
 * process. */
static void
refresh_process (NetpulseDetailPane *self,
                 NetpulseRow        *row)
{
  const NetpulseRecord *r = netpulse_process_group_record_of (row);

  gtk_widget_set_visible (self->rows[FIELD_EXECUTABLE], r != NULL && r->exe[0] != '\0');
  gtk_widget_set_visible (self->rows[FIELD_COMMAND_LINE], r != NULL && r->cmdline[0] != '\0');
  gtk_widget_set_visible (self->rows[FIELD_UNIT], r != NULL && r->unit[0] != '\0');
  /* The systemd unit says where the process runs; the raw control group
   * id is for when there is none. */
  gtk_widget_set_visible (self->rows[FIELD_CGROUP], NETPULSE_IS_CONNECTION (row) && r->unit[0] == '\0');
  if (r != NULL)
    {
      set_value (self, FIELD_EXECUTABLE, r->exe);
      set_value (self, FIELD_COMMAND_LINE, r->cmdline);
      set_value (self, FIELD_UNIT, r->unit);
    }
  if (NETPULSE_IS_APP_GROUP (row))
    {
      NetpulseAppGroup *app = NETPULSE_APP_GROUP (row);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rows[FIELD_PROCESS]), _("Application"));
      take_value (self, FIELD_PROCESS, g_strdup_printf ("%s (%s)", netpulse_app_group_get_app_id (app),
                                                        netpulse_app_kind_name (netpulse_app_group_get_kind (app))));
    }
  else
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->rows[FIELD_PROCESS]), _(fields[FIELD_PROCESS].title));
}

static void
refresh (NetpulseDetailPane *self)
{
  NetpulseRow *row = self->row;
  gboolean is_conn;
  gboolean bits;
  g_autofree char *rx = NULL;
  g_autofree char *tx = NULL;
  GIcon *icon;

  if (row == NULL)
    return;

  is_conn = NETPULSE_IS_CONNECTION (row);
  bits = self->options != NULL && netpulse_view_options_get_bits (self->options);
  icon = netpulse_row_get_icon (row);
  if (icon != NULL)
    gtk_image_set_from_gicon (GTK_IMAGE (self->icon), icon);
  else
    gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), "application-x-executable-symbolic");

  set_safe_text (self->title, netpulse_row_get_display_name (row));
  take_value (self, FIELD_PROCESS, g_strdup_printf ("%s (%u)", netpulse_row_get_comm (row),
                                                    netpulse_row_get_pid (row)));
  set_value (self, FIELD_USER, netpulse_row_get_user (row));
  take_value (self, FIELD_RECEIVED, netpulse_format_bytes (netpulse_row_get_rx_bytes (row)));
  take_value (self, FIELD_SENT, netpulse_format_bytes (netpulse_row_get_tx_bytes (row)));

  rx = netpulse_format_rate (netpulse_row_get_rx_rate (row), bits);
  tx = netpulse_format_rate (netpulse_row_get_tx_rate (row), bits);
  gtk_label_set_text (GTK_LABEL (self->rx_label), rx);
  gtk_label_set_text (GTK_LABEL (self->tx_label), tx);
  netpulse_sparkline_set_bits (self->graph, bits);

  for (guint i = 0; i < N_FIELDS; i++)
    gtk_widget_set_visible (self->rows[i], is_conn || !fields[i].connection_only);
  gtk_widget_set_visible (self->rows[FIELD_CONNECTIONS], !is_conn);
  refresh_process (self, row);

  if (is_conn)
    {
      const NetpulseRecord *r = netpulse_connection_get_record (NETPULSE_CONNECTION (row));
      g_autofree char *remote = netpulse_format_endpoint (r->raddr, r->rport);

      set_safe_text (self->subtitle, remote);
      refresh_connection (self, r);
    }
  else
    {
      guint n = NETPULSE_IS_APP_GROUP (row)
                ? netpulse_app_group_get_n_connections (NETPULSE_APP_GROUP (row))
                : netpulse_process_group_get_n_connections (NETPULSE_PROCESS_GROUP (row));
      g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u connection",
                                                             "%u connections", n), n);

      gtk_label_set_text (GTK_LABEL (self->subtitle), count);
      take_value (self, FIELD_CONNECTIONS, g_strdup_printf ("%u", n));
    }
}

static void
build_fields (NetpulseDetailPane *self)
{
  for (guint i = 0; i < N_FIELDS; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *value = gtk_label_new (NULL);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(fields[i].title));
      gtk_label_set_selectable (GTK_LABEL (value), TRUE);
      gtk_label_set_ellipsize (GTK_LABEL (value), PANGO_ELLIPSIZE_MIDDLE);
      /* A long value (a command line) asks for no more than this, so that
       * the title keeps its words ("Command line" wrapped to "Comm-/and
       * line" beside one); the whole value stays selectable. */
      gtk_label_set_max_width_chars (GTK_LABEL (value), 24);
      gtk_label_set_xalign (GTK_LABEL (value), 1.0);
      gtk_widget_add_css_class (value, "numeric");
      gtk_accessible_update_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                      row, NULL, -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
      if (i == FIELD_REMOTE)
        {
          GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

          gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (copy, "flat");
          gtk_widget_set_tooltip_text (copy, _("Copy Address"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Copy Address"), -1);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "win.copy-address");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);
        }
      adw_preferences_group_add (self->fields_group, row);
      self->rows[i] = row;
      self->values[i] = value;
    }
}

static void
netpulse_detail_pane_dispose (GObject *object)
{
  NetpulseDetailPane *self = NETPULSE_DETAIL_PANE (object);

  netpulse_detail_pane_set_row (self, NULL);
  if (self->options != NULL)
    g_clear_signal_handler (&self->options_id, self->options);
  g_clear_object (&self->options);
  gtk_widget_dispose_template (GTK_WIDGET (self), NETPULSE_TYPE_DETAIL_PANE);
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (netpulse_detail_pane_parent_class)->dispose (object);
}

static void
netpulse_detail_pane_class_init (NetpulseDetailPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = netpulse_detail_pane_dispose;

  g_type_ensure (NETPULSE_TYPE_SPARKLINE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/netpulse/Netpulse/netpulse-detail-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, scroller);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, icon);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, title);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, subtitle);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, graph);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, rx_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, tx_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseDetailPane, fields_group);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "detailpane");
}

static void
netpulse_detail_pane_init (NetpulseDetailPane *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  build_fields (self);
}

void
netpulse_detail_pane_set_options (NetpulseDetailPane  *self,
                                  NetpulseViewOptions *options)
{
  g_return_if_fail (NETPULSE_IS_DETAIL_PANE (self));

  if (self->options != NULL)
    g_clear_signal_handler (&self->options_id, self->options);
  g_set_object (&self->options, options);
  if (options != NULL)
    {
      self->options_id = g_signal_connect_swapped (options, "notify", G_CALLBACK (refresh), self);
      netpulse_sparkline_set_store (self->graph, netpulse_view_options_get_store (options));
    }
}

void
netpulse_detail_pane_set_row (NetpulseDetailPane *self,
                              NetpulseRow        *row)
{
  g_return_if_fail (NETPULSE_IS_DETAIL_PANE (self));

  if (self->row == row)
    return;
  if (self->row != NULL)
    netpulse_row_unwatch (self->row, &self->notify_id);
  g_set_object (&self->row, row);
  netpulse_sparkline_set_row (self->graph, row);
  if (row != NULL)
    {
      /* Another row, from its top: its name and graph, not where the last
       * one was scrolled to. */
      gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller)), 0);
      /* One selected row: refreshing all fields on any change is cheap. */
      self->notify_id = netpulse_row_watch (row, G_CALLBACK (refresh), self);
      refresh (self);
    }
}

NetpulseRow *
netpulse_detail_pane_get_row (NetpulseDetailPane *self)
{
  return self->row;
}

char *
netpulse_detail_pane_dup_remote (NetpulseDetailPane *self)
{
  const NetpulseRecord *r;

  if (!NETPULSE_IS_CONNECTION (self->row))
    return NULL;
  r = netpulse_connection_get_record (NETPULSE_CONNECTION (self->row));
  if (r->raddr[0] == '\0')
    return NULL;
  return netpulse_format_endpoint (r->raddr, r->rport);
}

void
netpulse_detail_pane_set_local_netns (NetpulseDetailPane *self,
                                      guint64             netns)
{
  g_return_if_fail (NETPULSE_IS_DETAIL_PANE (self));

  self->local_netns = netns;
  refresh (self);
}

double
netpulse_detail_pane_get_scroll (NetpulseDetailPane *self)
{
  g_return_val_if_fail (NETPULSE_IS_DETAIL_PANE (self), 0);

  return gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller)));
}
