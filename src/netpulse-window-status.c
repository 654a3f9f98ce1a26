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

#include "netpulse-spinner.h"
#include "netpulse-text.h"
#include "netpulse-window-private.h"

/* ---- the empty table -------------------------------------------------- */

/* What hides every connection, and which setting shows them: only the
 * filters that are on. */
static const char *
hidden_description (NetpulseWindow *self)
{
  gboolean local_shown = netpulse_row_filter_get_include_local (self->filter);
  gboolean closed_shown = netpulse_row_filter_get_show_closed (self->filter);

  if (local_shown && !closed_shown)
    return _("Every connection has closed, and the view hides closed connections. Turn on Show Closed Connections in the main menu.");
  if (closed_shown && !local_shown)
    return _("Every connection is local (within this computer), and the view hides those. Turn on Include Local Traffic in the main menu.");
  return _("Every connection is local or closed, and the view hides those. Turn on Include Local Traffic or Show Closed Connections in the main menu.");
}

void
_netpulse_window_update_placeholder (NetpulseWindow *self)
{
  GListModel *rows = _netpulse_window_get_rows (self);

  if (g_list_model_get_n_items (rows) > 0)
    {
      gtk_stack_set_visible_child_name (self->list_stack, "list");
      return;
    }
  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0 &&
      *gtk_editable_get_text (GTK_EDITABLE (self->search_entry)) != '\0')
    {
      adw_status_page_set_icon_name (self->empty_page, "edit-find-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Results Found"));
      adw_status_page_set_description (self->empty_page,
                                       _("Nothing matches the search. Try another application, process name, address, port or protocol."));
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    {
      adw_status_page_set_icon_name (self->empty_page, "view-conceal-symbolic");
      adw_status_page_set_title (self->empty_page, _("All Connections Hidden"));
      adw_status_page_set_description (self->empty_page, hidden_description (self));
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
             const char     *detail,
             gboolean        busy)
{
  GAction *retry;

  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->status_button), button != NULL);
  if (button != NULL)
    gtk_button_set_label (self->status_button, button);
  /* Retry is the button's only action: while a prompt is open it would
   * withdraw the request the person is answering. */
  retry = g_action_map_lookup_action (G_ACTION_MAP (self), "retry");
  if (G_IS_SIMPLE_ACTION (retry))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (retry), button != NULL);
  /* Plain text, not markup: a label cannot be fooled by what it quotes. */
  gtk_widget_set_visible (GTK_WIDGET (self->status_details), detail != NULL && *detail != '\0');
  gtk_expander_set_expanded (self->status_details, FALSE);
  gtk_label_set_text (self->status_details_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  netpulse_spinner_set_wanted (self->status_spinner, busy);
  gtk_stack_set_visible_child_name (self->main_stack, "status");
}

/* A failure page: what happened and what to do next, in whole sentences
 * of ours; the source's message only under "Technical Details". */
typedef struct {
  NetpulseSourceError  code;
  const char          *icon;
  const char          *title;
  const char          *description;
  const char          *button;
} FailurePage;

static const FailurePage failure_pages[] = {
  { NETPULSE_SOURCE_ERROR_NOT_AUTHORIZED, "action-unavailable-symbolic", N_("Permission Denied"),
    N_("Your account is not allowed to monitor the network connections of this computer. "
       "Ask an administrator to allow it, then try again."), N_("Try Again") },
  { NETPULSE_SOURCE_ERROR_AUTH_CANCELLED, "dialog-password-symbolic", N_("Authentication Cancelled"),
    N_("The password dialog was closed, so monitoring has not started. "
       "Try again and enter the password when asked."), N_("Try Again") },
  { NETPULSE_SOURCE_ERROR_AUTH_FAILED, "dialog-password-symbolic", N_("Password Not Accepted"),
    N_("The password was not accepted, so monitoring has not started. "
       "Try again, and check the keyboard layout and Caps Lock."), N_("Try Again") },
  { NETPULSE_SOURCE_ERROR_AUTH_NO_AGENT, "dialog-password-symbolic", N_("No Authentication Agent"),
    N_("Monitoring needs an administrator’s password, but nothing in this session can ask for it. "
       "Log in to a desktop session with a polkit authentication agent, or start one, then try again."),
    N_("Try Again") },
  { NETPULSE_SOURCE_ERROR_HELPER_MISSING, "dialog-warning-symbolic", N_("Helper Not Available"),
    N_("The Netpulse helper service is not installed or could not be started. "
       "Install Netpulse system-wide, including netpulse-helper and its D-Bus and polkit files, then retry."),
    N_("Retry") },
  { NETPULSE_SOURCE_ERROR_BUS_UNAVAILABLE, "dialog-warning-symbolic", N_("System Bus Not Available"),
    N_("Netpulse could not reach the system message bus, which it needs to talk to its helper. "
       "Check that the D-Bus system service is running, then retry."), N_("Retry") },
  { NETPULSE_SOURCE_ERROR_HELPER_LOST, "dialog-error-symbolic", N_("Helper Stopped"),
    N_("The Netpulse helper stopped while monitoring. Reconnect to start it again."), N_("Reconnect") },
  { NETPULSE_SOURCE_ERROR_BAD_INPUT, "dialog-error-symbolic", N_("Cannot Read Recording"),
    N_("The recording is damaged or not a Netpulse recording. Open another file, or retry."), N_("Retry") },
  { NETPULSE_SOURCE_ERROR_HELPER_FAILED, "dialog-error-symbolic", N_("Monitoring Failed"),
    N_("The Netpulse helper could not monitor network connections. Retry, and if it fails again "
       "look at the technical details below."), N_("Retry") },
};

static void
show_failure (NetpulseWindow *self,
              const GError   *error)
{
  g_autofree char *safe = NULL;
  const char *detail = netpulse_text_safe (error != NULL ? error->message : "", &safe);
  int code = error != NULL && error->domain == NETPULSE_SOURCE_ERROR ? error->code : -1;
  const FailurePage *page = &failure_pages[G_N_ELEMENTS (failure_pages) - 1];

  for (guint i = 0; i < G_N_ELEMENTS (failure_pages); i++)
    if ((int) failure_pages[i].code == code)
      page = &failure_pages[i];
  show_status (self, page->icon, _(page->title), _(page->description), _(page->button), detail, FALSE);
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
  netpulse_spinner_set_wanted (self->reconnect_spinner, reconnecting);
  gtk_widget_set_sensitive (GTK_WIDGET (self->flap), !reconnecting);
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
                   _("Starting the Netpulse helper…"), NULL, NULL, TRUE);
      break;
    case NETPULSE_SOURCE_STATE_AUTHORIZING:
      /* No Retry: a second request would withdraw the one being answered. */
      show_status (self, "dialog-password-symbolic", _("Authorization Required"),
                   _("Monitoring network connections needs an administrator’s permission. "
                     "Enter the password in the dialog that opened."),
                   NULL, NULL, TRUE);
      break;
    case NETPULSE_SOURCE_STATE_RUNNING:
      netpulse_spinner_set_wanted (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      _netpulse_window_update_placeholder (self);
      break;
    case NETPULSE_SOURCE_STATE_RECONNECTING:
      netpulse_spinner_set_wanted (self->status_spinner, FALSE);
      gtk_stack_set_visible_child_name (self->main_stack, "monitor");
      break;
    case NETPULSE_SOURCE_STATE_FINISHED:
      netpulse_spinner_set_wanted (self->status_spinner, FALSE);
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
