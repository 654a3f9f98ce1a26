/* netpulse-source.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-source"

#include "config.h"

#include "netpulse-source.h"
#include "netpulse-protocol.h"

typedef struct
{
  NetpulseSourceState  state;
  GError              *error;
  guint                interval_ms;
  gboolean             live;
  GVariant            *counters;     /* a{st} or NULL */
  char                *instance;
} NetpulseSourcePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NetpulseSource, netpulse_source, G_TYPE_OBJECT)

G_DEFINE_QUARK (netpulse-source-error-quark, netpulse_source_error)

enum {
  PROP_0,
  PROP_STATE,
  PROP_INTERVAL_MS,
  PROP_COUNTERS,
  PROP_INSTANCE,
  N_PROPS
};

enum {
  UPDATE,
  SNAPSHOT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define PRIV(self) ((NetpulseSourcePrivate *) netpulse_source_get_instance_private (self))

static void
netpulse_source_finalize (GObject *object)
{
  g_clear_error (&PRIV (NETPULSE_SOURCE (object))->error);
  g_clear_pointer (&PRIV (NETPULSE_SOURCE (object))->counters, g_variant_unref);
  g_clear_pointer (&PRIV (NETPULSE_SOURCE (object))->instance, g_free);
  G_OBJECT_CLASS (netpulse_source_parent_class)->finalize (object);
}

static void
netpulse_source_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NetpulseSourcePrivate *priv = PRIV (NETPULSE_SOURCE (object));

  switch (prop_id)
    {
    case PROP_STATE:       g_value_set_uint (value, priv->state); break;
    case PROP_INTERVAL_MS: g_value_set_uint (value, priv->interval_ms); break;
    case PROP_COUNTERS:    g_value_set_variant (value, priv->counters); break;
    case PROP_INSTANCE:    g_value_set_string (value, priv->instance); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_source_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_INTERVAL_MS:
      netpulse_source_set_interval (NETPULSE_SOURCE (object), g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_source_class_init (NetpulseSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_source_finalize;
  object_class->get_property = netpulse_source_get_property;
  object_class->set_property = netpulse_source_set_property;

  properties[PROP_STATE] =
    g_param_spec_uint ("state", NULL, NULL, 0, NETPULSE_SOURCE_STATE_RECONNECTING, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INTERVAL_MS] =
    g_param_spec_uint ("interval-ms", NULL, NULL, NETPULSE_INTERVAL_MIN_MS, NETPULSE_INTERVAL_MAX_MS, NETPULSE_INTERVAL_DEFAULT_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The helper's Counters (a{st}), NULL when the source has none. */
  properties[PROP_COUNTERS] =
    g_param_spec_variant ("counters", NULL, NULL, G_VARIANT_TYPE ("a{st}"), NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INSTANCE] =
    g_param_spec_string ("instance", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[UPDATE] =
    g_signal_new ("update", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT64, G_TYPE_ARRAY, G_TYPE_ARRAY);
  signals[SNAPSHOT] =
    g_signal_new ("snapshot", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_UINT64, G_TYPE_ARRAY);
}

static void
netpulse_source_init (NetpulseSource *self)
{
  PRIV (self)->interval_ms = NETPULSE_INTERVAL_DEFAULT_MS;
  PRIV (self)->live = TRUE;
}

void
netpulse_source_start (NetpulseSource *self)
{
  g_return_if_fail (NETPULSE_IS_SOURCE (self));
  NETPULSE_SOURCE_GET_CLASS (self)->start (self);
}

void
netpulse_source_stop (NetpulseSource *self)
{
  g_return_if_fail (NETPULSE_IS_SOURCE (self));
  NETPULSE_SOURCE_GET_CLASS (self)->stop (self);
}

void
netpulse_source_set_interval (NetpulseSource *self,
                              guint           interval_ms)
{
  NetpulseSourcePrivate *priv;

  g_return_if_fail (NETPULSE_IS_SOURCE (self));

  priv = PRIV (self);
  interval_ms = CLAMP (interval_ms, NETPULSE_INTERVAL_MIN_MS, NETPULSE_INTERVAL_MAX_MS);
  if (priv->interval_ms == interval_ms)
    return;
  priv->interval_ms = interval_ms;
  if (NETPULSE_SOURCE_GET_CLASS (self)->set_interval != NULL)
    NETPULSE_SOURCE_GET_CLASS (self)->set_interval (self, interval_ms);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL_MS]);
}

guint
netpulse_source_get_interval (NetpulseSource *self)
{
  return PRIV (self)->interval_ms;
}

NetpulseSourceState
netpulse_source_get_state (NetpulseSource *self)
{
  return PRIV (self)->state;
}

const GError *
netpulse_source_get_error (NetpulseSource *self)
{
  return PRIV (self)->error;
}

gboolean
netpulse_source_is_live (NetpulseSource *self)
{
  return PRIV (self)->live;
}

void
netpulse_source_set_live (NetpulseSource *self,
                          gboolean        live)
{
  PRIV (self)->live = live;
}

void
netpulse_source_set_state (NetpulseSource      *self,
                           NetpulseSourceState  state,
                           const GError        *error)
{
  NetpulseSourcePrivate *priv = PRIV (self);

  g_clear_error (&priv->error);
  if (error != NULL)
    priv->error = g_error_copy (error);
  priv->state = state;
  /* Notified even when the state is the same: the error may differ. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
netpulse_source_emit_update (NetpulseSource *self,
                             guint64         timestamp_ns,
                             GArray         *changed,
                             GArray         *removed)
{
  g_signal_emit (self, signals[UPDATE], 0, timestamp_ns, changed, removed);
}

void
netpulse_source_emit_snapshot (NetpulseSource *self,
                               guint64         timestamp_ns,
                               GArray         *records)
{
  g_signal_emit (self, signals[SNAPSHOT], 0, timestamp_ns, records);
}

GVariant *
netpulse_source_get_counters (NetpulseSource *self)
{
  g_return_val_if_fail (NETPULSE_IS_SOURCE (self), NULL);
  return PRIV (self)->counters;
}

void
netpulse_source_set_counters (NetpulseSource *self,
                              GVariant       *counters)
{
  NetpulseSourcePrivate *priv;

  g_return_if_fail (NETPULSE_IS_SOURCE (self));
  g_return_if_fail (counters == NULL || g_variant_is_of_type (counters, G_VARIANT_TYPE ("a{st}")));

  priv = PRIV (self);
  if (priv->counters == counters || (priv->counters != NULL && counters != NULL &&
                                     g_variant_equal (priv->counters, counters)))
    return;
  g_clear_pointer (&priv->counters, g_variant_unref);
  priv->counters = counters != NULL ? g_variant_ref_sink (counters) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNTERS]);
}

const char *
netpulse_source_get_instance (NetpulseSource *self)
{
  g_return_val_if_fail (NETPULSE_IS_SOURCE (self), NULL);
  return PRIV (self)->instance;
}

void
netpulse_source_set_instance (NetpulseSource *self,
                              const char     *instance)
{
  g_return_if_fail (NETPULSE_IS_SOURCE (self));

  if (g_strcmp0 (PRIV (self)->instance, instance) == 0)
    return;
  g_free (PRIV (self)->instance);
  PRIV (self)->instance = g_strdup (instance);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INSTANCE]);
}
