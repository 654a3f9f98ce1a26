/* netpulse-view-options.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-view-options"

#include "config.h"

#include <string.h>

#include "netpulse-app-group.h"
#include "netpulse-view-options.h"

struct _NetpulseViewOptions
{
  GObject                  parent_instance;

  NetpulseConnectionStore *store;
  NetpulseResolver        *resolver;
  gboolean                 bits;
  double                   shared_scale;
  gboolean                 resolve_names;
  NetpulseRowFilter       *filter;
};

G_DEFINE_FINAL_TYPE (NetpulseViewOptions, netpulse_view_options, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BITS,
  PROP_RESOLVE_NAMES,
  PROP_SHARED_SCALE,
  PROP_FILTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
netpulse_view_options_finalize (GObject *object)
{
  NetpulseViewOptions *self = NETPULSE_VIEW_OPTIONS (object);

  g_clear_object (&self->store);
  g_clear_object (&self->resolver);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (netpulse_view_options_parent_class)->finalize (object);
}

static void
netpulse_view_options_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  NetpulseViewOptions *self = NETPULSE_VIEW_OPTIONS (object);

  switch (prop_id)
    {
    case PROP_BITS:          g_value_set_boolean (value, self->bits); break;
    case PROP_RESOLVE_NAMES: g_value_set_boolean (value, self->resolve_names); break;
    case PROP_SHARED_SCALE:  g_value_set_double (value, self->shared_scale); break;
    case PROP_FILTER:        g_value_set_object (value, self->filter); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_view_options_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  NetpulseViewOptions *self = NETPULSE_VIEW_OPTIONS (object);

  switch (prop_id)
    {
    case PROP_BITS:          netpulse_view_options_set_bits (self, g_value_get_boolean (value)); break;
    case PROP_RESOLVE_NAMES: netpulse_view_options_set_resolve_names (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_view_options_class_init (NetpulseViewOptionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_view_options_finalize;
  object_class->get_property = netpulse_view_options_get_property;
  object_class->set_property = netpulse_view_options_set_property;

  properties[PROP_BITS] =
    g_param_spec_boolean ("bits", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESOLVE_NAMES] =
    g_param_spec_boolean ("resolve-names", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHARED_SCALE] =
    g_param_spec_double ("shared-scale", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Notified when what it lets through changes: the counts of the
   * groups' rows follow. */
  properties[PROP_FILTER] =
    g_param_spec_object ("filter", NULL, NULL, NETPULSE_TYPE_ROW_FILTER,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_view_options_init (NetpulseViewOptions *self)
{
}

NetpulseViewOptions *
netpulse_view_options_new (NetpulseConnectionStore *store,
                           NetpulseResolver        *resolver)
{
  NetpulseViewOptions *self = g_object_new (NETPULSE_TYPE_VIEW_OPTIONS, NULL);

  self->store = g_object_ref (store);
  self->resolver = resolver != NULL ? g_object_ref (resolver) : NULL;
  return self;
}

NetpulseConnectionStore *
netpulse_view_options_get_store (NetpulseViewOptions *self)
{
  return self->store;
}

NetpulseResolver *
netpulse_view_options_get_resolver (NetpulseViewOptions *self)
{
  return self->resolver;
}

gboolean
netpulse_view_options_get_bits (NetpulseViewOptions *self)
{
  return self->bits;
}

void
netpulse_view_options_set_bits (NetpulseViewOptions *self,
                                gboolean             bits)
{
  bits = !!bits;
  if (self->bits == bits)
    return;
  self->bits = bits;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BITS]);
}

gboolean
netpulse_view_options_get_resolve_names (NetpulseViewOptions *self)
{
  return self->resolve_names;
}

void
netpulse_view_options_set_resolve_names (NetpulseViewOptions *self,
                                         gboolean             resolve)
{
  resolve = !!resolve;
  if (self->resolve_names == resolve)
    return;
  self->resolve_names = resolve;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESOLVE_NAMES]);
}

char *
netpulse_view_options_format_endpoint (NetpulseViewOptions *self,
                                       const char          *address,
                                       guint16              port,
                                       guint8               proto,
                                       gboolean             remote)
{
  const char *host = NULL;
  const char *service = NULL;

  if (address == NULL || address[0] == '\0')
    return g_strdup ("*");
  if (!self->resolve_names || self->resolver == NULL)
    return netpulse_format_endpoint (address, port);

  if (remote)
    host = netpulse_resolver_lookup_host (self->resolver, address);
  service = netpulse_resolver_service_name (self->resolver, port, proto);

  if (host == NULL && strchr (address, ':') != NULL)
    {
      if (service != NULL)
        return g_strdup_printf ("[%s]:%s", address, service);
      return netpulse_format_endpoint (address, port);
    }
  if (service != NULL)
    return g_strdup_printf ("%s:%s", host != NULL ? host : address, service);
  return g_strdup_printf ("%s:%u", host != NULL ? host : address, port);
}

double
netpulse_view_options_get_shared_scale (NetpulseViewOptions *self)
{
  g_return_val_if_fail (NETPULSE_IS_VIEW_OPTIONS (self), 0.0);
  return self->shared_scale;
}

void
netpulse_view_options_set_shared_scale (NetpulseViewOptions *self,
                                        double               scale)
{
  g_return_if_fail (NETPULSE_IS_VIEW_OPTIONS (self));

  if (self->shared_scale == scale)
    return;
  self->shared_scale = scale;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHARED_SCALE]);
}

static void
on_filter_changed (NetpulseViewOptions *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

void
netpulse_view_options_set_filter (NetpulseViewOptions *self,
                                  NetpulseRowFilter   *filter)
{
  g_return_if_fail (NETPULSE_IS_VIEW_OPTIONS (self));
  g_return_if_fail (filter == NULL || NETPULSE_IS_ROW_FILTER (filter));

  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_func (self->filter, on_filter_changed, self);
  g_set_object (&self->filter, filter);
  if (filter != NULL)
    g_signal_connect_object (filter, "changed", G_CALLBACK (on_filter_changed), self, G_CONNECT_SWAPPED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

guint
netpulse_view_options_count_connections (NetpulseViewOptions *self,
                                         NetpulseRow         *group)
{
  if (self->filter != NULL)
    return netpulse_row_filter_count_connections (self->filter, group);
  if (NETPULSE_IS_APP_GROUP (group))
    return netpulse_app_group_get_n_connections (NETPULSE_APP_GROUP (group));
  return netpulse_process_group_get_n_connections (NETPULSE_PROCESS_GROUP (group));
}
