/* netpulse-test-hooks-input.c — the part of the view dump that tells what
 * keys and the search did, for GUI tests that send real key events:
 *
 *   # search-mode=0|1 search=TEXT paused=0|1 detail-pane=0|1 focus=WHERE
 *     empty-title=TITLE
 *   # detail-scroll=PIXELS (how far the detail pane is scrolled down)
 *     detail-folded=0|1 (the pane over the list, not beside it)
 *     toast-button=LABEL ("-": none) export-name=NAME (what Export suggests)
 *   # search-button-bounds=x,y,w,h detail-bounds=… detail-subtitle-bounds=…
 *
 * WHERE is "entry" (the search entry), "details" (inside the detail
 * pane), "list", "header" (the header bar), "none" or "other".  Texts are
 * URI-escaped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-test-hooks"

#include "config.h"

#include "netpulse-test-hooks-private.h"

static const char *
focus_place (NetpulseWindow *window)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

  if (focus == NULL)
    return "none";
  if (focus == GTK_WIDGET (window->search_entry) ||
      gtk_widget_is_ancestor (focus, GTK_WIDGET (window->search_entry)))
    return "entry";
  if (gtk_widget_is_ancestor (focus, GTK_WIDGET (window->detail_pane)))
    return "details";
  if (gtk_widget_is_ancestor (focus, GTK_WIDGET (window->column_view)))
    return "list";
  if (gtk_widget_get_ancestor (focus, ADW_TYPE_HEADER_BAR) != NULL)
    return "header";
  return "other";
}

void
_netpulse_test_hooks_append_bounds (GString    *out,
                                    const char *key,
                                    GtkWidget  *widget,
                                    GtkWidget  *window)
{
  graphene_rect_t b;

  if (widget == NULL || !gtk_widget_get_mapped (widget) ||
      !gtk_widget_compute_bounds (widget, window, &b))
    return;
  g_string_append_printf (out, " %s=%d,%d,%d,%d", key, (int) b.origin.x, (int) b.origin.y,
                          (int) b.size.width, (int) b.size.height);
}

void
_netpulse_test_hooks_dump_input (GString        *out,
                                 NetpulseWindow *window)
{
  g_autoptr(GVariant) paused = g_action_group_get_action_state (G_ACTION_GROUP (window), "pause");
  g_autofree char *search = g_uri_escape_string (gtk_editable_get_text (GTK_EDITABLE (window->search_entry)),
                                                 NULL, FALSE);
  const char *empty = adw_status_page_get_title (window->empty_page);
  g_autofree char *empty_escaped = g_uri_escape_string (empty != NULL ? empty : "-", NULL, FALSE);
  g_autofree char *toast_button = g_uri_escape_string (window->last_toast_button != NULL
                                                      ? window->last_toast_button : "-", NULL, FALSE);
  g_autofree char *name = _netpulse_window_export_name (window, NETPULSE_EXPORT_CSV);
  g_autofree char *export_name = g_uri_escape_string (name, NULL, FALSE);
  GObject *subtitle = gtk_widget_get_template_child (GTK_WIDGET (window->detail_pane),
                                                     NETPULSE_TYPE_DETAIL_PANE, "subtitle");

  g_string_append_printf (out, "# search-mode=%d search=%s paused=%d detail-pane=%d focus=%s empty-title=%s\n",
                          gtk_search_bar_get_search_mode (window->search_bar), search,
                          paused != NULL && g_variant_get_boolean (paused),
                          adw_flap_get_reveal_flap (window->flap),
                          focus_place (window), empty_escaped);
  g_string_append_printf (out, "# detail-scroll=%d detail-folded=%d toast-button=%s export-name=%s\n",
                          (int) netpulse_detail_pane_get_scroll (window->detail_pane),
                          adw_flap_get_folded (window->flap),
                          toast_button, export_name);
  g_string_append (out, "#");
  _netpulse_test_hooks_append_bounds (out, "search-button-bounds", GTK_WIDGET (window->search_button),
                                      GTK_WIDGET (window));
  _netpulse_test_hooks_append_bounds (out, "detail-bounds", GTK_WIDGET (window->detail_pane),
                                      GTK_WIDGET (window));
  _netpulse_test_hooks_append_bounds (out, "detail-subtitle-bounds",
                                      GTK_IS_WIDGET (subtitle) ? GTK_WIDGET (subtitle) : NULL, GTK_WIDGET (window));
  g_string_append_c (out, '\n');
}
