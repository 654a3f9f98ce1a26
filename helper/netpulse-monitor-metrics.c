/* netpulse-monitor-metrics.c — the Prometheus export's method calls of
 * io.github.netpulse.Helper1 (GetMetrics, GetMetricsExport,
 * SetMetricsExport; the page itself is netpulse-metrics*.c), a friend of
 * netpulse-monitor.c sharing netpulse-monitor-private.h.
 *
 * Authorization is decided before these run, in gate_method_call()
 * (netpulse-monitor-calls.c): SetMetricsExport through the configure gate,
 * as SetRecording, the two readers with the monitor action.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-monitor"

#include "config.h"

#include "netpulse-helper-error.h"
#include "netpulse-monitor-private.h"

static void
get_sources (NetpulseMonitor        *self,
             NetpulseMetricsSources *sources)
{
  NetpulseHelper1 *helper = NETPULSE_HELPER1 (self);

  *sources = (NetpulseMetricsSources) {
    .recorder = self->recorder,
    .collector = self->collector,
    .health = {
      .backend = netpulse_helper1_get_backend (helper),
      .version = netpulse_helper1_get_version (helper),
      .counters = netpulse_helper1_get_counters (helper),
      .last_tick_us = self->last_sample_us,
      .recording = netpulse_recorder_is_enabled (self->recorder),
    },
  };
}

/* After each sample (netpulse-monitor.c): the recorder has just counted it. */
void
_netpulse_monitor_metrics_tick (NetpulseMonitor *self)
{
  NetpulseMetricsSources sources;

  if (!netpulse_metrics_is_enabled (self->metrics))
    return;
  get_sources (self, &sources);
  netpulse_metrics_tick (self->metrics, &sources, FALSE);
}

static gboolean
handle_get_metrics (NetpulseHelper1       *helper,
                    GDBusMethodInvocation *invocation)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  NetpulseMetricsSources sources;

  get_sources (self, &sources);
  text = netpulse_metrics_build (self->metrics, &sources, &error);
  if (text == NULL)
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED, "%s", error->message);
  else
    netpulse_helper1_complete_get_metrics (helper, invocation, text);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_metrics_export (NetpulseHelper1       *helper,
                           GDBusMethodInvocation *invocation)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);

  netpulse_helper1_complete_get_metrics_export (helper, invocation, netpulse_metrics_get_state (self->metrics));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_metrics_export (NetpulseHelper1       *helper,
                           GDBusMethodInvocation *invocation,
                           gboolean               enabled,
                           const char            *textfile_dir,
                           guint                  interval_s,
                           guint                  max_apps)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  g_autoptr(GError) error = NULL;
  NetpulseMetricsSources sources;

  /* The counters are the history's: without it they would never grow. */
  if (enabled && !netpulse_recorder_is_enabled (self->recorder))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "Metrics export needs the usage history: turn recording on first");
  if (error != NULL ||
      !netpulse_metrics_configure (self->metrics, enabled, textfile_dir, interval_s, max_apps, &error))
    return _netpulse_monitor_return_setting_error (invocation, error);
  g_message ("%s turned metrics export %s", g_dbus_method_invocation_get_sender (invocation),
             enabled ? "on" : "off");
  /* The first page at once, not an interval later. */
  get_sources (self, &sources);
  netpulse_metrics_tick (self->metrics, &sources, TRUE);
  _netpulse_monitor_rearm_idle_timeout (self);
  netpulse_helper1_complete_set_metrics_export (helper, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
_netpulse_monitor_metrics_iface_init (NetpulseHelper1Iface *iface)
{
  iface->handle_get_metrics = handle_get_metrics;
  iface->handle_get_metrics_export = handle_get_metrics_export;
  iface->handle_set_metrics_export = handle_set_metrics_export;
}
