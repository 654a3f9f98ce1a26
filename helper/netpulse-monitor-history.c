/* netpulse-monitor-history.c — the usage history's method calls of
 * io.github.netpulse.Helper1 (GetRecording, SetRecording, QueryUsage,
 * QueryHosts; the
 * recorder itself is netpulse-recorder.c), another friend of
 * netpulse-monitor.c sharing netpulse-monitor-private.h.
 *
 * Authorization is decided before these run, in gate_method_call()
 * (netpulse-monitor-calls.c): SetRecording through its own gate with the
 * io.github.netpulse.configure action, the two readers with the monitor
 * action.  While recording is on, the collector stays loaded and the idle
 * exit does not fire (netpulse-monitor.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-monitor"

#include "config.h"

#include "netpulse-helper-error.h"
#include "netpulse-monitor-private.h"

/* Turns recording on or off (authorized already): on loads the collector
 * (if no subscriber did) and keeps it; off lets the helper idle out. */
gboolean
_netpulse_monitor_set_recording (NetpulseMonitor  *self,
                                 gboolean          enabled,
                                 GVariant         *options,
                                 GError          **error)
{
  gboolean was_enabled = netpulse_recorder_is_enabled (self->recorder);

  if (enabled && !_netpulse_monitor_start_monitoring (self, error))
    return FALSE;
  if (!netpulse_recorder_configure (self->recorder, enabled, options, error))
    return FALSE;
  if (enabled && !was_enabled)
    netpulse_recorder_collector_started (self->recorder, self->collector);
  _netpulse_monitor_update_tick (self);
  _netpulse_monitor_rearm_idle_timeout (self);
  return TRUE;
}

void
netpulse_monitor_resume_recording (NetpulseMonitor *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (NETPULSE_IS_MONITOR (self));

  if (!netpulse_recorder_is_enabled (self->recorder))
    return;
  g_message ("Recording was on: starting the collector");
  g_clear_handle_id (&self->idle_source_id, g_source_remove);
  if (!_netpulse_monitor_start_monitoring (self, &error))
    {
      g_warning ("Cannot record: %s", error->message);
      _netpulse_monitor_rearm_idle_timeout (self);
      return;
    }
  _netpulse_monitor_update_tick (self);
}

/* Usage history: reading needs the monitor action, SetRecording the
 * configure one (see gate_method_call()). */
static gboolean
handle_get_recording (NetpulseHelper1       *helper,
                      GDBusMethodInvocation *invocation)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);

  netpulse_helper1_complete_get_recording (helper, invocation,
                                           netpulse_recorder_get_state (self->recorder));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}


/* A setting refused (SetRecording, SetMetricsExport): our own errors as
 * they are, a bad value as InvalidOption, anything else (the disk, the
 * database) as Failed with its message. */
gboolean
_netpulse_monitor_return_setting_error (GDBusMethodInvocation *invocation,
                                        const GError          *error)
{
  if (error->domain == NETPULSE_HELPER_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    g_dbus_method_invocation_return_error (invocation, NETPULSE_HELPER_ERROR,
                                           NETPULSE_HELPER_ERROR_INVALID_OPTION, "%s", error->message);
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_FAILED,
                                           "%s", error->message);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_set_recording (NetpulseHelper1       *helper,
                      GDBusMethodInvocation *invocation,
                      gboolean               enabled,
                      GVariant              *options)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  g_autoptr(GError) error = NULL;

  if (!_netpulse_monitor_set_recording (self, enabled, options, &error))
    return _netpulse_monitor_return_setting_error (invocation, error);
  g_message ("%s turned recording %s", g_dbus_method_invocation_get_sender (invocation),
             enabled ? "on" : "off");
  netpulse_helper1_complete_set_recording (helper, invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
return_query (GDBusMethodInvocation *invocation,
              GVariant              *reply,
              GError                *error)
{
  if (reply == NULL)
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)
                                             ? G_DBUS_ERROR_INVALID_ARGS : G_DBUS_ERROR_FAILED,
                                           "%s", error->message);
  else
    g_dbus_method_invocation_return_value (invocation, reply);
}

static gboolean
handle_query_usage (NetpulseHelper1       *helper,
                    GDBusMethodInvocation *invocation,
                    guint64                since_ns,
                    guint64                until_ns,
                    const char            *granularity,
                    const char            *group,
                    GVariant              *filter)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = netpulse_recorder_query (self->recorder, since_ns, until_ns, granularity, group, filter, &error);
  return_query (invocation, reply, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_query_hosts (NetpulseHelper1       *helper,
                    GDBusMethodInvocation *invocation,
                    guint64                since_ns,
                    guint64                until_ns,
                    GVariant              *filter)
{
  NetpulseMonitor *self = NETPULSE_MONITOR (helper);
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = netpulse_recorder_query_hosts (self->recorder, since_ns, until_ns, filter, &error);
  return_query (invocation, reply, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
_netpulse_monitor_history_iface_init (NetpulseHelper1Iface *iface)
{
  iface->handle_get_recording = handle_get_recording;
  iface->handle_set_recording = handle_set_recording;
  iface->handle_query_usage = handle_query_usage;
  iface->handle_query_hosts = handle_query_hosts;
}
