/* netpulse-usage-view.c — the Usage view's state and its calls to the
 * helper.
 *
 * One refresh at a time: GetRecording (is recording on? how long is a
 * bucket?), then QueryUsage page by page for the range, every call
 * asynchronous, so that a slow helper or a long range never blocks the
 * window.  While the view is shown it refreshes every bucket (at most
 * every 10 s, at least every second), so a closing bucket shows up soon.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-usage-view-private.h"

/* The helper pages its answer by 10 000 rows: two years of days for 100
 * applications is 73 000. */
#define MAX_PAGES 100
#define DEFAULT_FINE_MS 60000

G_DEFINE_FINAL_TYPE (NetpulseUsageView, netpulse_usage_view, ADW_TYPE_BIN)

static void refresh       (NetpulseUsageView *self);
static void restart_timer (NetpulseUsageView *self);

static void
query_page (NetpulseUsageView *self);

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(NetpulseUsageView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) rows = NULL;
  g_autoptr(GVariant) all = NULL;
  gboolean truncated = FALSE;
  GVariantIter iter;
  GVariant *row;

  rows = netpulse_client_query_usage_finish (NETPULSE_CLIENT (object), result, &truncated, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (rows == NULL)
    {
      g_clear_pointer (&self->pages, g_variant_builder_unref);
      g_clear_object (&self->cancellable);
      _netpulse_usage_view_show_error (self, error);
      return;
    }
  g_variant_iter_init (&iter, rows);
  while ((row = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_variant_builder_add_value (self->pages, row);
      g_variant_unref (row);
    }
  self->n_pages++;
  if (truncated && self->n_pages < MAX_PAGES)
    {
      query_page (self);
      return;
    }

  g_clear_object (&self->cancellable);
  all = g_variant_ref_sink (g_variant_builder_end (self->pages));
  g_clear_pointer (&self->pages, g_variant_builder_unref);
  _netpulse_usage_view_set_last_error (self, NULL);
  /* Nothing new (no bucket closed since): the list keeps its scroll
   * position and the pointer its read-out. */
  if (self->data != NULL && self->data->range.first_ns == self->range.first_ns &&
      self->data->range.n_buckets == self->range.n_buckets && g_variant_equal (self->data->rows, all) &&
      g_str_equal (gtk_stack_get_visible_child_name (self->stack), self->data->apps->len > 0 ? "data" : "empty"))
    return;
  g_clear_pointer (&self->data, netpulse_usage_data_free);
  self->data = netpulse_usage_data_new (&self->range, all);
  if (self->data->apps->len == 0)
    _netpulse_usage_view_show_page (self, "empty");
  else
    {
      _netpulse_usage_view_show_data (self);
      _netpulse_usage_view_show_page (self, "data");
    }
}

static void
query_page (NetpulseUsageView *self)
{
  g_auto(GVariantDict) filter = G_VARIANT_DICT_INIT (NULL);
  guint offset = 0;

  /* Every page so far was full. */
  offset = (guint) MIN ((guint64) self->n_pages * 10000, G_MAXUINT32);
  g_variant_dict_insert (&filter, "offset", "u", offset);
  netpulse_client_query_usage_async (self->client, self->range.since_ns, self->range.until_ns,
                                     netpulse_usage_granularity_name (self->range.granularity), "app",
                                     g_variant_dict_end (&filter), self->cancellable, query_cb,
                                     g_object_ref (self));
}

static void
start_query (NetpulseUsageView *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;

  if (!netpulse_usage_range_init (&self->range, self->preset, now, self->custom_since_ns,
                                  self->custom_until_ns, self->fine_ms, &error))
    {
      g_clear_object (&self->cancellable);
      _netpulse_usage_view_show_error (self, error);
      return;
    }
  g_clear_pointer (&self->pages, g_variant_builder_unref);
  self->pages = g_variant_builder_new (G_VARIANT_TYPE ("a(ttssyttu)"));
  self->n_pages = 0;
  query_page (self);
}

static void
recording_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(NetpulseUsageView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) state = NULL;
  guint64 bucket_ms = 0;

  state = netpulse_client_get_recording_finish (NETPULSE_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (state == NULL)
    {
      g_clear_object (&self->cancellable);
      _netpulse_usage_view_show_error (self, error);
      return;
    }
  self->recording = FALSE;
  g_variant_lookup (state, "enabled", "b", &self->recording);
  if (g_variant_lookup (state, "bucket-ms", "t", &bucket_ms) && bucket_ms > 0 && bucket_ms != self->fine_ms)
    {
      self->fine_ms = bucket_ms;
      restart_timer (self);
    }
  _netpulse_usage_view_show_state (self, state);
  if (!self->recording)
    {
      /* What was recorded before it was turned off is still there, but
       * the page says how to get more: the history is what it is for. */
      g_clear_object (&self->cancellable);
      if (self->set_cancellable == NULL)
        _netpulse_usage_view_show_page (self, "off");
      return;
    }
  start_query (self);
}

static void
refresh (NetpulseUsageView *self)
{
  if (self->cancellable != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  if (self->data == NULL && !g_str_equal (gtk_stack_get_visible_child_name (self->stack), "off"))
    _netpulse_usage_view_show_page (self, "loading");
  netpulse_client_get_recording_async (self->client, self->cancellable, recording_cb, g_object_ref (self));
}

static gboolean
on_timer (gpointer user_data)
{
  refresh (user_data);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (NetpulseUsageView *self)
{
  g_clear_handle_id (&self->timer, g_source_remove);
  if (self->active)
    self->timer = g_timeout_add ((guint) CLAMP (self->fine_ms, 1000, 10000), on_timer, self);
}

/* A new range or selection: what is shown is no longer it. */
static void
reload (NetpulseUsageView *self)
{
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  g_clear_pointer (&self->data, netpulse_usage_data_free);
  if (self->active)
    refresh (self);
}

void
netpulse_usage_view_set_active (NetpulseUsageView *self,
                                gboolean           active)
{
  g_return_if_fail (NETPULSE_IS_USAGE_VIEW (self));

  if (self->active == active)
    return;
  self->active = active;
  restart_timer (self);
  if (active)
    refresh (self);
}

void
netpulse_usage_view_set_preset (NetpulseUsageView   *self,
                                NetpulseUsagePreset  preset)
{
  g_return_if_fail (NETPULSE_IS_USAGE_VIEW (self));

  gtk_drop_down_set_selected (self->range_dropdown, preset);
}

void
netpulse_usage_view_set_custom_range (NetpulseUsageView *self,
                                      guint64            since_ns,
                                      guint64            until_ns)
{
  g_return_if_fail (NETPULSE_IS_USAGE_VIEW (self));

  self->custom_since_ns = since_ns;
  self->custom_until_ns = until_ns;
  if (gtk_drop_down_get_selected (self->range_dropdown) != NETPULSE_USAGE_CUSTOM)
    gtk_drop_down_set_selected (self->range_dropdown, NETPULSE_USAGE_CUSTOM);
  else
    reload (self);
}

void
netpulse_usage_view_select_app (NetpulseUsageView *self,
                                const char        *key)
{
  g_return_if_fail (NETPULSE_IS_USAGE_VIEW (self));

  g_free (self->selected);
  self->selected = g_strdup (key);
  if (self->data != NULL && self->data->apps->len > 0)
    {
      _netpulse_usage_view_show_selection (self);
      _netpulse_usage_view_show_page (self, "data");
    }
}

/* The form netpulse_usage_parse_time() reads, in local time. */
static void
set_entry (GtkEntry *entry,
           guint64   ns)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local ((gint64) (ns / G_GUINT64_CONSTANT (1000000000)));
  g_autofree char *text = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M") : NULL;

  gtk_editable_set_text (GTK_EDITABLE (entry), text != NULL ? text : "");
}

static void
on_range_changed (NetpulseUsageView *self)
{
  guint preset = gtk_drop_down_get_selected (self->range_dropdown);

  self->preset = preset <= NETPULSE_USAGE_CUSTOM ? preset : NETPULSE_USAGE_LAST_HOUR;
  gtk_widget_set_visible (GTK_WIDGET (self->custom_button), self->preset == NETPULSE_USAGE_CUSTOM);
  if (self->preset == NETPULSE_USAGE_CUSTOM && self->custom_until_ns == 0)
    {
      /* Until the person picks one: the last 24 hours. */
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      self->custom_until_ns = (guint64) g_date_time_to_unix (now) * G_GUINT64_CONSTANT (1000000000);
      self->custom_since_ns = self->custom_until_ns - 86400 * G_GUINT64_CONSTANT (1000000000);
      set_entry (self->since_entry, self->custom_since_ns);
      set_entry (self->until_entry, self->custom_until_ns);
      gtk_popover_popup (self->custom_popover);
    }
  reload (self);
}

static gboolean
parse_entry (GtkEntry *entry,
             guint64  *ns)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();

  return netpulse_usage_parse_time (gtk_editable_get_text (GTK_EDITABLE (entry)), local, ns);
}

static void
on_custom_apply (NetpulseUsageView *self)
{
  guint64 since = 0, until = 0;
  const char *problem = NULL;

  if (!parse_entry (self->since_entry, &since))
    problem = _("The start is not a date and time such as 2026-12-01 08:00.");
  else if (!parse_entry (self->until_entry, &until))
    problem = _("The end is not a date and time such as 2026-12-01 18:00.");
  else if (until <= since)
    problem = _("The end must be after the start.");
  /* What was typed stays, so that it can be corrected. */
  gtk_label_set_text (self->custom_error, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->custom_error), problem != NULL);
  if (problem != NULL)
    return;
  gtk_popover_popdown (self->custom_popover);
  netpulse_usage_view_set_custom_range (self, since, until);
}

/* ---- SetRecording ----------------------------------------------------- */

static void
set_recording_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(NetpulseUsageView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!netpulse_client_set_recording_finish (NETPULSE_CLIENT (object), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->set_cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (self->record_button), TRUE);
  gtk_button_set_label (self->record_button, _("_Turn On Recording…"));
  if (error != NULL)
    {
      _netpulse_usage_view_show_turn_on_error (self, error);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->off_error), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->off_details), FALSE);
  _netpulse_usage_view_set_last_error (self, NULL);
  reload (self);
}

static void
turn_on_activate (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  NetpulseUsageView *self = NETPULSE_USAGE_VIEW (widget);

  if (self->set_cancellable != NULL)
    return;
  self->set_cancellable = g_cancellable_new ();
  /* Pending: nothing that would ask a second time. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->record_button), FALSE);
  gtk_button_set_label (self->record_button, _("Waiting for Permission…"));
  gtk_widget_set_visible (GTK_WIDGET (self->off_error), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->off_details), FALSE);
  netpulse_client_set_recording_async (self->client, TRUE, NULL, self->set_cancellable,
                                       set_recording_cb, g_object_ref (self));
}

static void
refresh_activate (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  reload (NETPULSE_USAGE_VIEW (widget));
}

static void
show_all_activate (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  netpulse_usage_view_select_app (NETPULSE_USAGE_VIEW (widget), NULL);
}

static void
export_activate (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  _netpulse_usage_view_export (NETPULSE_USAGE_VIEW (widget), g_str_equal (action_name, "usage.export-json"));
}

/* ---- the object ------------------------------------------------------- */

static void
netpulse_usage_view_dispose (GObject *object)
{
  NetpulseUsageView *self = NETPULSE_USAGE_VIEW (object);

  g_clear_handle_id (&self->timer, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->set_cancellable != NULL)
    g_cancellable_cancel (self->set_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->set_cancellable);
  if (self->apps_view != NULL)
    gtk_column_view_set_model (self->apps_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->items);
  gtk_widget_dispose_template (GTK_WIDGET (self), NETPULSE_TYPE_USAGE_VIEW);
  G_OBJECT_CLASS (netpulse_usage_view_parent_class)->dispose (object);
}

static void
netpulse_usage_view_finalize (GObject *object)
{
  NetpulseUsageView *self = NETPULSE_USAGE_VIEW (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->pages, g_variant_builder_unref);
  g_clear_pointer (&self->data, netpulse_usage_data_free);
  g_free (self->selected);
  g_free (self->last_error);
  G_OBJECT_CLASS (netpulse_usage_view_parent_class)->finalize (object);
}

static void
netpulse_usage_view_class_init (NetpulseUsageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = netpulse_usage_view_dispose;
  object_class->finalize = netpulse_usage_view_finalize;

  g_type_ensure (NETPULSE_TYPE_USAGE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/netpulse/Netpulse/netpulse-usage-view.ui");
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, custom_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, custom_popover);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, since_entry);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, until_entry);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, custom_error);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, back_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, export_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, paused_banner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, stack);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, off_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, record_button);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, off_error);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, off_details);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, off_details_label);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, error_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, error_details);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, chart_title);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, chart);
  gtk_widget_class_bind_template_child (widget_class, NetpulseUsageView, apps_view);
  gtk_widget_class_bind_template_callback (widget_class, on_custom_apply);

  gtk_widget_class_install_action (widget_class, "usage.turn-on", NULL, turn_on_activate);
  gtk_widget_class_install_action (widget_class, "usage.refresh", NULL, refresh_activate);
  gtk_widget_class_install_action (widget_class, "usage.show-all", NULL, show_all_activate);
  gtk_widget_class_install_action (widget_class, "usage.export-csv", NULL, export_activate);
  gtk_widget_class_install_action (widget_class, "usage.export-json", NULL, export_activate);
}

static void
netpulse_usage_view_init (NetpulseUsageView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->client = netpulse_client_new ();
  self->fine_ms = DEFAULT_FINE_MS;
  self->preset = NETPULSE_USAGE_LAST_HOUR;
  _netpulse_usage_view_setup_list (self);
  g_signal_connect_object (self->range_dropdown, "notify::selected",
                           G_CALLBACK (on_range_changed), self, G_CONNECT_SWAPPED);
  _netpulse_usage_view_show_page (self, "loading");
}
