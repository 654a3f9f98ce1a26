/* netpulse-usage-view-pages.c — the Usage view's pages other than the
 * data: reading failed, recording off (what it does, with the helper's
 * retention; a refusal to turn it on), recording paused.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-spinner.h"
#include "netpulse-text.h"
#include "netpulse-usage-view-private.h"

/* "2 years", "90 days", "48 hours": a retention as people say it. */
static char *
format_retention (guint64 seconds)
{
  guint64 days = seconds / 86400;

  if (seconds % (365 * 86400) == 0 && days >= 365)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u year", "%u years", days / 365),
                            (guint) (days / 365));
  if (seconds % 86400 == 0 && days > 2)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u day", "%u days", days), (guint) days);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u hour", "%u hours", MAX (seconds / 3600, 1)),
                          (guint) MAX (seconds / 3600, 1));
}

/* What recording does, with the retention the helper is set to. */
static void
describe_recording (NetpulseUsageView *self,
                    GVariant          *state)
{
  guint64 fine = 48 * 3600, hour = 90 * 86400, day = 730 * 86400;
  g_autofree char *fine_text = NULL;
  g_autofree char *hour_text = NULL;
  g_autofree char *day_text = NULL;
  g_autofree char *text = NULL;

  g_variant_lookup (state, "retention-fine-s", "t", &fine);
  g_variant_lookup (state, "retention-hour-s", "t", &hour);
  g_variant_lookup (state, "retention-day-s", "t", &day);
  fine_text = format_retention (fine);
  hour_text = format_retention (hour);
  day_text = format_retention (day);
  text = g_strdup_printf (_("When recording is on, Netpulse counts how much each application downloads and "
                            "uploads, also while this window is closed. The counts are kept on this computer "
                            "only: by the minute for %s, by the hour for %s and by the day for %s. Turning it "
                            "on needs an administrator’s permission."), fine_text, hour_text, day_text);
  adw_status_page_set_description (self->off_page, text);
}

void
_netpulse_usage_view_show_page (NetpulseUsageView *self,
                                const char        *name)
{
  gboolean data = g_str_equal (name, "data");

  netpulse_spinner_set_wanted (self->loading_spinner, g_str_equal (name, "loading"));
  gtk_stack_set_visible_child_name (self->stack, name);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), data);
  /* Off: no range to choose. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->range_dropdown), !g_str_equal (name, "off"));
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), data && self->selected != NULL);
}

void
_netpulse_usage_view_set_last_error (NetpulseUsageView *self,
                                     const char        *message)
{
  g_free (self->last_error);
  self->last_error = g_strdup (message);
}

/* Reading failed: why, in words of ours, the helper's below. */
void
_netpulse_usage_view_show_error (NetpulseUsageView *self,
                                 const GError      *error)
{
  g_autofree char *safe = NULL;

  if (g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED))
    {
      adw_status_page_set_title (self->error_page, _("Permission Denied"));
      adw_status_page_set_description (self->error_page,
                                       _("Your account is not allowed to read the usage history of this computer."));
    }
  else if (g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_HELPER_MISSING) ||
           g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE))
    {
      adw_status_page_set_title (self->error_page, _("Helper Not Available"));
      adw_status_page_set_description (self->error_page,
                                       _("The usage history is kept by the Netpulse helper service, which "
                                         "could not be reached."));
    }
  else
    {
      adw_status_page_set_title (self->error_page, _("Cannot Read Usage History"));
      adw_status_page_set_description (self->error_page,
                                       _("The Netpulse helper could not read the usage history."));
    }
  gtk_label_set_text (self->error_details, netpulse_text_safe (error->message, &safe));
  _netpulse_usage_view_set_last_error (self, error->message);
  _netpulse_usage_view_show_page (self, "error");
}

void
_netpulse_usage_view_show_state (NetpulseUsageView *self,
                                 GVariant          *state)
{
  const char *last_error = "";
  g_autofree char *safe = NULL;
  g_autofree char *text = NULL;

  self->paused = FALSE;
  g_variant_lookup (state, "paused", "b", &self->paused);
  g_variant_lookup (state, "last-error", "&s", &last_error);
  if (self->paused)
    text = g_strdup_printf (_("Recording is paused: the history cannot be written (%s). "
                              "Netpulse keeps counting and writes it once this is solved."),
                            netpulse_text_safe (last_error, &safe));
  gtk_label_set_text (self->paused_banner, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->paused_banner), self->paused);
  describe_recording (self, state);
}

void
_netpulse_usage_view_show_turn_on_error (NetpulseUsageView *self,
                                         const GError      *error)
{
  g_autofree char *safe = NULL;
  const char *text;

  if (g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED) &&
      strstr (error->message, "dismissed") != NULL)
    text = _("Authentication was cancelled, so recording is still off.");
  else if (g_error_matches (error, NETPULSE_CLIENT_ERROR, NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED))
    text = _("Your account is not allowed to turn on recording. Ask an administrator to turn it on.");
  else
    text = _("Recording could not be turned on.");
  gtk_label_set_text (self->off_error, text);
  gtk_widget_set_visible (GTK_WIDGET (self->off_error), TRUE);
  gtk_label_set_text (self->off_details_label, netpulse_text_safe (error->message, &safe));
  gtk_widget_set_visible (GTK_WIDGET (self->off_details), TRUE);
  _netpulse_usage_view_set_last_error (self, error->message);
}
