/* netpulse-usage-item.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-usage"

#include "config.h"

#include "netpulse-app-finder.h"
#include "netpulse-record.h"
#include "netpulse-usage-item.h"

struct _NetpulseUsageItem
{
  GObject  parent_instance;

  char    *app_kind;
  char    *app_id;
  char    *name;
  GIcon   *icon;
  guint64  rx_bytes;
  guint64  tx_bytes;
  int      color;
};

G_DEFINE_FINAL_TYPE (NetpulseUsageItem, netpulse_usage_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_ICON,
  PROP_RX_BYTES,
  PROP_TX_BYTES,
  PROP_TOTAL_BYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
netpulse_usage_item_finalize (GObject *object)
{
  NetpulseUsageItem *self = NETPULSE_USAGE_ITEM (object);

  g_free (self->app_kind);
  g_free (self->app_id);
  g_free (self->name);
  g_clear_object (&self->icon);
  G_OBJECT_CLASS (netpulse_usage_item_parent_class)->finalize (object);
}

static void
netpulse_usage_item_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NetpulseUsageItem *self = NETPULSE_USAGE_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_ICON:
      g_value_set_object (value, self->icon);
      break;
    case PROP_RX_BYTES:
      g_value_set_uint64 (value, self->rx_bytes);
      break;
    case PROP_TX_BYTES:
      g_value_set_uint64 (value, self->tx_bytes);
      break;
    case PROP_TOTAL_BYTES:
      g_value_set_uint64 (value, self->rx_bytes + self->tx_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_usage_item_class_init (NetpulseUsageItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_usage_item_finalize;
  object_class->get_property = netpulse_usage_item_get_property;

  /* Read-only: the list's sorters read them through property expressions. */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICON] = g_param_spec_object ("icon", NULL, NULL, G_TYPE_ICON,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RX_BYTES] = g_param_spec_uint64 ("rx-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TX_BYTES] = g_param_spec_uint64 ("tx-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL_BYTES] = g_param_spec_uint64 ("total-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_usage_item_init (NetpulseUsageItem *self)
{
  self->color = -1;
}

NetpulseUsageItem *
netpulse_usage_item_new (const NetpulseUsageApp *app,
                         int                     color)
{
  NetpulseUsageItem *self = g_object_new (NETPULSE_TYPE_USAGE_ITEM, NULL);

  g_return_val_if_fail (app != NULL, self);

  self->app_kind = g_strdup (app->app_kind);
  self->app_id = g_strdup (app->app_id);
  self->rx_bytes = app->rx_bytes;
  self->tx_bytes = app->tx_bytes;
  self->color = color;
  netpulse_app_finder_describe (netpulse_app_kind_from_name (app->app_kind), app->app_id,
                                &self->name, &self->icon);
  return self;
}

const char *
netpulse_usage_item_get_app_kind (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), NULL);
  return self->app_kind;
}

const char *
netpulse_usage_item_get_app_id (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), NULL);
  return self->app_id;
}

const char *
netpulse_usage_item_get_name (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), NULL);
  return self->name;
}

GIcon *
netpulse_usage_item_get_icon (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), NULL);
  return self->icon;
}

guint64
netpulse_usage_item_get_rx_bytes (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), 0);
  return self->rx_bytes;
}

guint64
netpulse_usage_item_get_tx_bytes (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), 0);
  return self->tx_bytes;
}

int
netpulse_usage_item_get_color (NetpulseUsageItem *self)
{
  g_return_val_if_fail (NETPULSE_IS_USAGE_ITEM (self), -1);
  return self->color;
}
