/* netpulse-test-hooks.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-test-hooks"

#include "config.h"

#include <adwaita.h>
#include <glib-unix.h>
#include <signal.h>

#include "netpulse-app-group.h"
#include "netpulse-cell-text.h"
#include "netpulse-columns.h"
#include "netpulse-connection.h"
#include "netpulse-overflow-banner.h"
#include "netpulse-test-hooks.h"
#include "netpulse-test-hooks-private.h"
#include "netpulse-text.h"
#include "netpulse-window-private.h"

#define FALLBACK_TIMEOUT_MS 15000

typedef struct {
  NetpulseWindow *window;      /* weak */
  char           *screenshot;
  char           *dump;
  guint           delay_ms;
  gboolean        exit_after;
  guint           timeout_id;
  guint           fallback_id;
  guint           signal_id;
  guint           settings_signal_id;
  gboolean        done;
} Hooks;

gboolean
netpulse_test_hooks_save_screenshot (GtkWidget   *widget,
                                     const char  *path,
                                     GError     **error)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA background;

  if (!gtk_widget_get_realized (widget) || width <= 0 || height <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The window is not shown");
      return FALSE;
    }

  /* The window's background is drawn outside its snapshot vfunc: paint
   * the theme's window colour first (opaque, like a screen grab), then the
   * window with every child. */
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "window_bg_color", &background))
    gdk_rgba_parse (&background, "#fafafa");
  background.alpha = 1.0;
  gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The window drew nothing");
      return FALSE;
    }

  renderer = gtk_native_get_renderer (GTK_NATIVE (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not write %s", path);
      return FALSE;
    }
  return TRUE;
}

/* The descendant of @widget built from the .ui object with id @id. */
static GtkWidget *
find_by_id (GtkWidget  *widget,
            const char *id)
{
  if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_id (child, id);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The first descendant of @widget whose CSS name is @name. */
static GtkWidget *
find_by_css_name (GtkWidget  *widget,
                  const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (gtk_widget_get_css_name (child), name) == 0)
        return child;
      if ((found = find_by_css_name (child, name)) != NULL)
        return found;
    }
  return NULL;
}

/* Where the title of the column at @position is, in window coordinates:
 * the column view's header holds one title per column, in column order. */
static gboolean
get_column_title_bounds (NetpulseWindow  *window,
                         guint            position,
                         graphene_rect_t *bounds)
{
  GtkWidget *header = find_by_css_name (GTK_WIDGET (window->column_view), "header");
  GtkWidget *title = header != NULL ? gtk_widget_get_first_child (header) : NULL;

  for (guint i = 0; title != NULL && i < position; i++)
    title = gtk_widget_get_next_sibling (title);
  /* A hidden column keeps its (hidden) title. */
  return title != NULL && gtk_widget_get_visible (title) &&
         gtk_widget_compute_bounds (title, GTK_WIDGET (window), bounds);
}

static const char *
visible_page (GtkWidget  *window,
              const char *stack_id)
{
  GtkWidget *stack = find_by_id (window, stack_id);
  const char *name = GTK_IS_STACK (stack) ? gtk_stack_get_visible_child_name (GTK_STACK (stack)) : NULL;

  return name != NULL ? name : "-";
}

/* "# page=… list=… title=… button=… banner=… button-bounds=x,y,w,h": which
 * page is shown (a status page: its title and button, URI-escaped), the
 * overflow banner's text ("-" when hidden), the status page's technical
 * details ("-" when none) and whether Retry can be used, so that a
 * test can tell "Permission Denied" from an empty list, and click the
 * button.  Only key=value words: older readers merge them into the header. */
static void
dump_page (GString        *out,
           NetpulseWindow *window)
{
  GtkWidget *status_page = find_by_id (GTK_WIDGET (window), "status_page");
  GtkWidget *button = find_by_id (GTK_WIDGET (window), "status_button");
  GtkWidget *banner = find_by_id (GTK_WIDGET (window), "overflow_banner");
  const char *banner_text = NETPULSE_IS_OVERFLOW_BANNER (banner)
                            ? netpulse_overflow_banner_get_text (NETPULSE_OVERFLOW_BANNER (banner)) : NULL;
  g_autofree char *banner_escaped = g_uri_escape_string (banner_text != NULL ? banner_text : "-", NULL, FALSE);
  const char *title = ADW_IS_STATUS_PAGE (status_page)
                      ? adw_status_page_get_title (ADW_STATUS_PAGE (status_page)) : NULL;
  gboolean has_button = GTK_IS_BUTTON (button) && gtk_widget_get_visible (button);
  g_autofree char *title_escaped = g_uri_escape_string (title != NULL ? title : "-", NULL, FALSE);
  g_autofree char *label_escaped = g_uri_escape_string (has_button ? gtk_button_get_label (GTK_BUTTON (button)) : "-",
                                                        NULL, FALSE);
  const char *instance = netpulse_source_get_instance (window->source);
  g_autofree char *instance_escaped = g_uri_escape_string (instance != NULL ? instance : "-", NULL, FALSE);
  graphene_rect_t b;
  g_autofree char *toast_escaped = g_uri_escape_string (window->last_toast != NULL ? window->last_toast : "-",
                                                       NULL, FALSE);

  gboolean has_details = gtk_widget_get_visible (GTK_WIDGET (window->status_details));
  g_autofree char *details_escaped = g_uri_escape_string (has_details ? gtk_label_get_text (window->status_details_label) : "-",
                                                         NULL, FALSE);
  gboolean retry_enabled = g_action_group_get_action_enabled (G_ACTION_GROUP (window), "retry");

  g_string_append_printf (out, "# page=%s list=%s title=%s button=%s banner=%s reconnecting=%d "
                          "table-sensitive=%d toast=%s instance=%s details=%s retry-enabled=%d",
                          visible_page (GTK_WIDGET (window), "main_stack"),
                          visible_page (GTK_WIDGET (window), "list_stack"),
                          title_escaped, label_escaped, banner_escaped,
                          gtk_revealer_get_reveal_child (window->reconnect_banner),
                          gtk_widget_is_sensitive (GTK_WIDGET (window->flap)),
                          toast_escaped, instance_escaped, details_escaped, retry_enabled);
  if (has_button && gtk_widget_get_mapped (button) &&
      gtk_widget_compute_bounds (button, GTK_WIDGET (window), &b))
    g_string_append_printf (out, " button-bounds=%d,%d,%d,%d", (int) b.origin.x, (int) b.origin.y,
                            (int) b.size.width, (int) b.size.height);
  g_string_append_c (out, '\n');
}

static void
append_escaped_word (GString    *out,
                     const char *key,
                     const char *text)
{
  g_autofree char *escaped = g_uri_escape_string (text, NULL, FALSE);

  g_string_append_printf (out, "# %s=%s\n", key, escaped);
}

static void
dump_text (GString    *out,
           GtkWidget  *widget,
           const char *text,
           gboolean    ellipsized)
{
  append_escaped_word (out, "label", text);
  /* On screen now (the label and every parent shown and mapped). */
  if (gtk_widget_is_drawable (widget))
    append_escaped_word (out, "shown", text);
  /* Cut short on screen (an ellipsis drawn instead of the end). */
  if (ellipsized)
    append_escaped_word (out, "ellipsized", text);
}

/* "# label=…" for every label of the window (cells, detail pane, titles),
 * "# tooltip=…" for every tooltip, URI-escaped: the text a person reads,
 * as GTK draws it, with nothing a raw byte could hide. */
static void
dump_texts (GString   *out,
            GtkWidget *widget)
{
  g_autofree char *tooltip = g_strdup (gtk_widget_get_tooltip_text (widget));

  if (tooltip == NULL)
    tooltip = netpulse_columns_get_tooltip (widget);

  if (GTK_IS_LABEL (widget))
    dump_text (out, widget, gtk_label_get_text (GTK_LABEL (widget)),
               gtk_widget_get_mapped (widget) && pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))));
  else if (NETPULSE_IS_CELL_TEXT (widget))
    dump_text (out, widget, netpulse_cell_text_get_text (NETPULSE_CELL_TEXT (widget)),
               gtk_widget_get_mapped (widget) && netpulse_cell_text_is_ellipsized (NETPULSE_CELL_TEXT (widget)));
  if (tooltip != NULL)
    append_escaped_word (out, "tooltip", tooltip);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    dump_texts (out, child);
}

gboolean
netpulse_test_hooks_dump_view (NetpulseWindow  *window,
                               const char      *path,
                               GError         **error)
{
  GListModel *rows = _netpulse_window_get_rows (window);
  guint n = g_list_model_get_n_items (rows);
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean descending = FALSE;
  const char *sort = _netpulse_window_get_sort (window, &descending);
  g_autoptr(GVariant) grouped = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                 "group-by-process");
  GListModel *columns = gtk_column_view_get_columns (window->column_view);

  g_autofree char *saved_sort = g_settings_get_string (window->settings, "sort-column");
  char header_rx[G_ASCII_DTOSTR_BUF_SIZE], header_tx[G_ASCII_DTOSTR_BUF_SIZE];
  const char *shown_subtitle = adw_window_title_get_subtitle (window->window_title);
  g_autofree char *subtitle = g_uri_escape_string (shown_subtitle != NULL && shown_subtitle[0] != '\0'
                                                   ? shown_subtitle : "-", NULL, FALSE);
  double shown_rx, shown_tx;
  guint shown_n;
  graphene_rect_t list_bounds;

  g_string_append_printf (out, "# sort=%s %s grouped=%d rows=%u view=%s saved-sort=%s:%s held=%d\n",
                          sort != NULL ? sort : "none",
                          descending ? "descending" : "ascending",
                          grouped != NULL && g_variant_get_boolean (grouped), n,
                          window->usage ? "usage" : window->applications ? "applications" : "connections", saved_sort,
                          g_settings_get_boolean (window->settings, "sort-descending") ? "descending" : "ascending",
                          window->sort_held);
  dump_page (out, window);
  _netpulse_test_hooks_dump_selection (out, window);
  _netpulse_test_hooks_dump_usage (out, window);
  _netpulse_test_hooks_dump_input (out, window);
  _netpulse_window_sum_shown (window, &shown_rx, &shown_tx, &shown_n);
  if (!gtk_widget_compute_bounds (GTK_WIDGET (window->scrolled_window), GTK_WIDGET (window), &list_bounds))
    graphene_rect_init (&list_bounds, 0, 0, 0, 0);
  g_string_append_printf (out, "# list-bounds=%d,%d,%d,%d\n", (int) list_bounds.origin.x, (int) list_bounds.origin.y,
                          (int) list_bounds.size.width, (int) list_bounds.size.height);
  g_string_append_printf (out, "# header-rx=%s header-tx=%s header-connections=%u window=%dx%d header-subtitle=%s\n",
                          g_ascii_formatd (header_rx, sizeof header_rx, "%.1f", shown_rx),
                          g_ascii_formatd (header_tx, sizeof header_tx, "%.1f", shown_tx), shown_n,
                          gtk_widget_get_width (GTK_WIDGET (window)), gtk_widget_get_height (GTK_WIDGET (window)),
                          subtitle);
  _netpulse_test_hooks_dump_header_history (out, window);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      graphene_rect_t b;

      if (get_column_title_bounds (window, i, &b))
        g_string_append_printf (out, "# column %s %d %d %d %d\n", netpulse_columns_get_id (column),
                                (int) b.origin.x, (int) b.origin.y, (int) b.size.width, (int) b.size.height);
    }
  dump_texts (out, GTK_WIDGET (window));
  _netpulse_test_hooks_dump_rows (out, window);
  return g_file_set_contents (path, out->str, out->len, error);
}

static void
hooks_free (gpointer data)
{
  Hooks *hooks = data;

  g_clear_handle_id (&hooks->timeout_id, g_source_remove);
  g_clear_handle_id (&hooks->fallback_id, g_source_remove);
  g_clear_handle_id (&hooks->signal_id, g_source_remove);
  g_clear_handle_id (&hooks->settings_signal_id, g_source_remove);
  g_free (hooks->screenshot);
  g_free (hooks->dump);
  g_free (hooks);
}

static gboolean
close_window (gpointer user_data)
{
  gtk_window_destroy (GTK_WINDOW (user_data));
  return G_SOURCE_REMOVE;
}

/* Through the Export menu's own writer, without its file chooser. */
static void
export_to (NetpulseWindow       *window,
           NetpulseExportFormat  format,
           const char           *variable)
{
  const char *path = g_getenv (variable);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL || path[0] == '\0')
    return;
  file = g_file_new_for_path (path);
  if (!_netpulse_window_export_to_file (window, format, file, &error))
    g_printerr ("netpulse: export to %s failed: %s\n", path, error->message);
}

static void
capture (Hooks *hooks)
{
  g_autoptr(GError) error = NULL;
  NetpulseWindow *window = hooks->window;

  if (hooks->screenshot != NULL &&
      !netpulse_test_hooks_save_screenshot (GTK_WIDGET (window), hooks->screenshot, &error))
    g_printerr ("netpulse: screenshot failed: %s\n", error->message);
  g_clear_error (&error);
  /* Before the dump: once the dump is there, everything is.  After the
   * screenshot: the toast it adds would be half drawn in it. */
  export_to (window, NETPULSE_EXPORT_CSV, "NETPULSE_EXPORT_CSV");
  export_to (window, NETPULSE_EXPORT_JSON, "NETPULSE_EXPORT_JSON");
  if (hooks->dump != NULL && !netpulse_test_hooks_dump_view (window, hooks->dump, &error))
    g_printerr ("netpulse: view dump failed: %s\n", error->message);

  if (hooks->exit_after)
    g_idle_add_full (G_PRIORITY_DEFAULT, close_window, g_object_ref (window), g_object_unref);
}

static void
after_paint (GdkFrameClock *clock,
             Hooks         *hooks)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint, hooks);
  capture (hooks);
}

static gboolean
on_delay (gpointer user_data)
{
  Hooks *hooks = user_data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (hooks->window));

  hooks->timeout_id = 0;
  if (clock == NULL)
    {
      capture (hooks);
      return G_SOURCE_REMOVE;
    }
  /* Capture right after a frame was painted: layout is done then. */
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint), hooks);
  gtk_widget_queue_draw (GTK_WIDGET (hooks->window));
  return G_SOURCE_REMOVE;
}

static void
schedule (Hooks *hooks)
{
  const char *select = g_getenv ("NETPULSE_SELECT_ROW");

  if (hooks->timeout_id != 0)
    return;
  /* NETPULSE_SELECT_AT_TICK selects at that tick instead. */
  if (select != NULL && select[0] != '\0' && g_getenv ("NETPULSE_SELECT_AT_TICK") == NULL)
    _netpulse_test_hooks_select_row (hooks->window, (guint) g_ascii_strtoull (select, NULL, 10));
  hooks->timeout_id = g_timeout_add (hooks->delay_ms, on_delay, hooks);
}

static void
on_settled (NetpulseWindow *window,
            GParamSpec     *pspec,
            Hooks          *hooks)
{
  if (hooks->done || !_netpulse_window_is_settled (window))
    return;
  hooks->done = TRUE;
  g_clear_handle_id (&hooks->fallback_id, g_source_remove);
  schedule (hooks);
}

static gboolean
on_fallback (gpointer user_data)
{
  Hooks *hooks = user_data;

  hooks->fallback_id = 0;
  hooks->done = TRUE;
  g_printerr ("netpulse: the window did not settle; capturing anyway\n");
  schedule (hooks);
  return G_SOURCE_REMOVE;
}

static gboolean
on_sigusr1 (gpointer user_data)
{
  schedule (user_data);
  return G_SOURCE_CONTINUE;
}

/* "key value" settings, one per line or ";"-separated, the value in
 * GVariant text format, set as a person changing them in the menu would. */
static void
apply_settings (NetpulseWindow *window,
                const char     *text)
{
  g_auto(GStrv) lines = g_strsplit_set (text, "\n;", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (g_strstrip (lines[i]), " ", 2);
      g_autoptr(GVariant) current = NULL;
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GError) error = NULL;

      if (words[0] == NULL || words[0][0] == '\0' || words[1] == NULL)
        continue;
      if (_netpulse_test_hooks_usage_setting (window, words[0], words[1]))
        continue;
      current = g_settings_get_value (window->settings, words[0]);
      value = g_variant_parse (g_variant_get_type (current), words[1], NULL, NULL, &error);
      if (value == NULL)
        {
          g_printerr ("netpulse: test setting %s: %s\n", words[0], error->message);
          continue;
        }
      g_settings_set_value (window->settings, words[0], value);
    }
}

/* SIGUSR2: the settings in the file NETPULSE_TEST_SETTINGS. */
static gboolean
on_sigusr2 (gpointer user_data)
{
  Hooks *hooks = user_data;
  const char *path = g_getenv ("NETPULSE_TEST_SETTINGS");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL || !g_file_get_contents (path, &contents, NULL, &error))
    g_printerr ("netpulse: NETPULSE_TEST_SETTINGS: %s\n", error != NULL ? error->message : "not set");
  else
    apply_settings (hooks->window, contents);
  return G_SOURCE_CONTINUE;
}

/* NETPULSE_SETTINGS, NETPULSE_VIEW, …: what a test or benchmark asks of
 * the window before it shows its first update. */
static void
apply_environment (NetpulseWindow *window)
{
  if (g_getenv ("NETPULSE_SETTINGS") != NULL)
    apply_settings (window, g_getenv ("NETPULSE_SETTINGS"));
  if (g_getenv ("NETPULSE_TEST_LOCAL_NETNS") != NULL)
    netpulse_detail_pane_set_local_netns (window->detail_pane,
                                          g_ascii_strtoull (g_getenv ("NETPULSE_TEST_LOCAL_NETNS"), NULL, 10));
  if (g_getenv ("NETPULSE_VIEW") != NULL)
    g_settings_set_string (window->settings, "view", g_getenv ("NETPULSE_VIEW"));
  if (g_strcmp0 (g_getenv ("NETPULSE_GROUP_BY_PROCESS"), "1") == 0)
    g_action_group_change_action_state (G_ACTION_GROUP (window), "group-by-process",
                                        g_variant_new_boolean (TRUE));
}

void
netpulse_test_hooks_install (NetpulseWindow *window)
{
  const char *screenshot = g_getenv ("NETPULSE_SCREENSHOT");
  const char *dump = g_getenv ("NETPULSE_DUMP_VIEW");
  const char *delay = g_getenv ("NETPULSE_SCREENSHOT_DELAY_MS");
  Hooks *hooks;

  /* The view and settings asked for apply without a screenshot too: the
   * benchmarks (bench/app.py) choose the view this way. */
  apply_environment (window);
  _netpulse_test_hooks_select_at_tick (window);
  if ((screenshot == NULL || screenshot[0] == '\0') && (dump == NULL || dump[0] == '\0'))
    return;

  hooks = g_new0 (Hooks, 1);
  hooks->window = window;
  hooks->screenshot = screenshot != NULL && screenshot[0] != '\0' ? g_strdup (screenshot) : NULL;
  hooks->dump = dump != NULL && dump[0] != '\0' ? g_strdup (dump) : NULL;
  hooks->delay_ms = delay != NULL ? (guint) g_ascii_strtoull (delay, NULL, 10) : 500;
  hooks->exit_after = g_strcmp0 (g_getenv ("NETPULSE_EXIT_AFTER_SCREENSHOT"), "1") == 0;
  g_object_set_data_full (G_OBJECT (window), "netpulse-test-hooks", hooks, hooks_free);


  g_signal_connect (window, "notify::settled", G_CALLBACK (on_settled), hooks);
  hooks->fallback_id = g_timeout_add (FALLBACK_TIMEOUT_MS, on_fallback, hooks);
  hooks->signal_id = g_unix_signal_add (SIGUSR1, on_sigusr1, hooks);
  hooks->settings_signal_id = g_unix_signal_add (SIGUSR2, on_sigusr2, hooks);
  on_settled (window, NULL, hooks);
}
