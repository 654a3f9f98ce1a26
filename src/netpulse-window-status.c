/* netpulse-window-status.c — what the window shows instead of data: a
 * status page for each state of the source (connecting, authorizing, each
 * failure with its retry button) and, in place of an empty table, why it
 * is empty.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-window"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-text.h"
#include "netpulse-window-private.h"

/* ---- the empty table -------------------------------------------------- */

void
_netpulse_window_update_placeholder (NetpulseWindow *self)
{
  GListModel *rows = _netpulse_window_get_rows (self);

  if (g_list_model_get_n_items (rows) > 0)
    {
      gtk_stack_set_visible_child_name (self->list_stack, "list");
      return;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    {
      adw_status_page_set_icon_name (self->empty_page, "edit-find-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Matching Connections"));
      adw_status_page_set_description (self->empty_page,
                                       _("Try another process name, address, port or protocol."));
    }
  else
    {
      adw_status_page_set_icon_name (self->empty_page, "network-idle-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Network Activity"));
      adw_status_page_set_description (self->empty_page,
                                       _("Connections appear here as soon as a program sends or receives data."));
    }
  gtk_stack_set_visible_child_name (self->list_stack, "empty");
}


/* ---- status pages ----------------------------------------------------- */

static void
show_status (NetpulseWindow *self,
             const char     *icon,
             const char     *title,
             const char     *description,
             const char     *button,
             gboolean        busy)
{
  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->status_button), button != NULL);
  if (button != NULL)
    gtk_button_set_label (self->status_button, button);
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  gtk_spinner_set_spinning (self->status_spinner, busy);
  gtk_stack_set_visible_child_name (self->main_stack, "status");
}

static void
show_failure (NetpulseWindow *self,
              const GError   *error)
{
  /* The description is Pango markup, and a message may quote a file
   * name or a line of a recording: escaped for both. */
  g_autofree char *safe = NULL;
  g_autofree char *message = g_markup_escape_text (netpulse_text_safe (error != NULL ? error->message : "",
                                                                       &safe), -1);
  g_autofree char *description = NULL;
  int code = error != NULL && error->domain == NETPULSE_SOURCE_ERROR ? error->code : -1;

  switch (code)
    {
    case NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED:
      description = g_strdup_printf (_("You are not allowed to monitor network connections, or the request was dismissed.\n%s"), message);
      show_status (self, "dialog-password-symbolic", _("Permission Denied"), description, _("Try Again"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_HELPER_MISSING:
      description = g_strdup_printf (_("The Netpulse helper service could not be started. Install Netpulse system-wide, including netpulse-helper and its D-Bus and polkit files.\n%s"), message);
      show_status (self, "dialog-warning-symbolic", _("Helper Not Installed"), description, _("Retry"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_BUS_UNAVAILABLE:
      description = g_strdup_printf (_("Netpulse could not reach the system message bus.\n%s"), message);
      show_status (self, "dialog-warning-symbolic", _("System Bus Not Available"), description, _("Retry"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_HELPER_LOST:
      description = g_strdup_printf (_("The Netpulse helper stopped unexpectedly.\n%s"), message);
      show_status (self, "dialog-error-symbolic", _("Helper Stopped"), description, _("Reconnect"), FALSE);
      break;
    case NETPULSE_SOURCE_ERROR_BAD_INPUT:
      show_status (self, "dialog-error-symbolic", _("Cannot Read Recording"), message, _("Retry"), FALSE);
      break;
    default:
      description = g_strdup_printf (_("The Netpulse helper reported an error.\n%s"), message);
      show_status (self, "dialog-error-symbolic", _("Monitoring Failed"), description, _("Retry"), FALSE);
      break;
    }
}

static void
set_monitoring (NetpulseWindow *self,
                gboolean        monitoring)
{
  self->monitoring = monitoring;
  gtk_widget_set_sensitive (GTK_WIDGET (self->pause_button), monitoring);
  gtk_widget_set_sensitive (GTK_WIDGET (self->group_button), monitoring && !self->applications);
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), monitoring);
  if (!monitoring)
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  _netpulse_window_update_summary (self);
}

/* While the source reconnects by itself: the last table, dimmed and not
 * clickable, under a banner; once back, a toast says so. */
static void
set_reconnecting (NetpulseWindow *self,
                  gboolean        reconnecting)
{
  gboolean was = self->reconnecting;

  self->reconnecting = reconnecting;
  gtk_revealer_set_reveal_child (self->reconnect_banner, reconnecting);
  gtk_spinner_set_spinning (self->reconnect_spinner, reconnecting);
  gtk_widget_set_sensitive (GTK_WIDGET (self->paned), !reconnecting);
  if (was && !reconnecting &&
      netpulse_source_get_state (self->source) == NETPULSE_SOURCE_STATE_RUNNING)
    _netpulse_window_toast (self, _("Reconnected to the Netpulse helper"));
}

void
_netpulse_window_show_source_state (NetpulseWindow *self)
{
  NetpulseSourceState state = netpulse_source_get_state (self->source);

  set_monitoring (self, state == NETPULSE_SOURCE_STATE_RUNNING ||
                        state == NETPULSE_SOURCE_STATE_FINISHED ||
                        state == NETPULSE_SOURCE_STATE_RECONNECTING);
  set_reconnecting (self, state == NETPULSE_SOURCE_STATE_RECONNECTING);

  switch (state)
    {
    case NETPULSE_SOURCE_STATE_IDLE:
    case NETPULSE_SOURCE_STATE_CONNECTING:
      show_status (self, "network-transmit-receive-symbolic", _("Connecting"),
                   _("Starting the Netpulse helper…"), NULL, TRUE);
      break;
    case NETPULSE_SOURCE_STATE_AUTHORIZING:
      show_status (self, "dialog-password-symbolic", _("Authorization Required"),
                   _("Monitoring network connections needs administrator permission. Authenticate in the dialog that opened, or retry to ask again."),
                   _("Retry"), TRUE);
      break;
    case NETPULSE_SOURCE_STATE_RUNNING:
      gtk_spinner_set_spinning (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      _netpulse_window_update_placeholder (self);
      break;
    case NETPULSE_SOURCE_STATE_RECONNECTING:
      gtk_spinner_set_spinning (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      break;
    case NETPULSE_SOURCE_STATE_FINISHED:
      gtk_spinner_set_spinning (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      _netpulse_window_update_placeholder (self);
      _netpulse_window_set_settled (self);
      break;
    case NETPULSE_SOURCE_STATE_FAILED:
    default:
      show_failure (self, netpulse_source_get_error (self->source));
      _netpulse_window_set_settled (self);
      break;
    }
}
