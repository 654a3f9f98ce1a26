/* netpulse-overflow-banner.c
 *
 * Plays the part of an AdwBanner (libadwaita ≥ 1.3; the app still builds
 * against 1.2): a revealer with one wrapping label.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-overflow-banner"

#include "config.h"

#include <glib/gi18n.h>

#include "netpulse-client.h"
#include "netpulse-overflow-banner.h"

struct _NetpulseOverflowBanner
{
  AdwBin       parent_instance;

  GtkRevealer *revealer;
  GtkLabel    *label;
  GVariant    *counters;
};

G_DEFINE_FINAL_TYPE (NetpulseOverflowBanner, netpulse_overflow_banner, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_COUNTERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What the counters mean for the person looking at the table, or NULL. */
static char *
describe (GVariant *counters)
{
  guint64 flows, peers;
  g_autoptr(GString) text = NULL;
  g_autofree char *flows_text = NULL;
  g_autofree char *peers_text = NULL;

  if (!netpulse_counters_get_overflow (counters, &flows, &peers))
    return NULL;

  text = g_string_new (NULL);
  flows_text = g_strdup_printf ("%" G_GUINT64_FORMAT, flows);
  peers_text = g_strdup_printf ("%" G_GUINT64_FORMAT, peers);
  if (flows > 0)
    /* Translators: %s is a number of connections */
    g_string_append_printf (text, ngettext ("Connections are missing: %s was not tracked because the helper’s "
                                            "flow table was full. An administrator can make the table larger "
                                            "with the helper’s --max-flows option.",
                                            "Connections are missing: %s were not tracked because the helper’s "
                                            "flow table was full. An administrator can make the table larger "
                                            "with the helper’s --max-flows option.",
                                            MIN (flows, G_MAXULONG)),
                            flows_text);
  if (flows > 0 && peers > 0)
    g_string_append_c (text, ' ');
  if (peers > 0)
    /* Translators: %s is a number of datagrams */
    g_string_append_printf (text, ngettext ("Some sockets talk to more peers than are tracked one by one: "
                                            "%s datagram was counted, exactly, in rows marked “other peers”. "
                                            "The helper’s --max-peers-per-socket and --max-peers-per-uid "
                                            "options set how many are tracked one by one.",
                                            "Some sockets talk to more peers than are tracked one by one: "
                                            "%s datagrams were counted, exactly, in rows marked “other peers”. "
                                            "The helper’s --max-peers-per-socket and --max-peers-per-uid "
                                            "options set how many are tracked one by one.",
                                            MIN (peers, G_MAXULONG)),
                            peers_text);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

void
netpulse_overflow_banner_set_counters (NetpulseOverflowBanner *self,
                                       GVariant               *counters)
{
  g_autofree char *text = NULL;

  g_return_if_fail (NETPULSE_IS_OVERFLOW_BANNER (self));

  if (self->counters == counters)
    return;
  g_clear_pointer (&self->counters, g_variant_unref);
  self->counters = counters != NULL ? g_variant_ref_sink (counters) : NULL;

  text = describe (self->counters);
  gtk_label_set_text (self->label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->revealer, text != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNTERS]);
}

const char *
netpulse_overflow_banner_get_text (NetpulseOverflowBanner *self)
{
  g_return_val_if_fail (NETPULSE_IS_OVERFLOW_BANNER (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->revealer))
    return NULL;
  return gtk_label_get_text (self->label);
}

static void
netpulse_overflow_banner_finalize (GObject *object)
{
  NetpulseOverflowBanner *self = NETPULSE_OVERFLOW_BANNER (object);

  g_clear_pointer (&self->counters, g_variant_unref);
  G_OBJECT_CLASS (netpulse_overflow_banner_parent_class)->finalize (object);
}

static void
netpulse_overflow_banner_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  NetpulseOverflowBanner *self = NETPULSE_OVERFLOW_BANNER (object);

  switch (prop_id)
    {
    case PROP_COUNTERS: g_value_set_variant (value, self->counters); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_overflow_banner_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  NetpulseOverflowBanner *self = NETPULSE_OVERFLOW_BANNER (object);

  switch (prop_id)
    {
    case PROP_COUNTERS: netpulse_overflow_banner_set_counters (self, g_value_get_variant (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_overflow_banner_class_init (NetpulseOverflowBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = netpulse_overflow_banner_finalize;
  object_class->get_property = netpulse_overflow_banner_get_property;
  object_class->set_property = netpulse_overflow_banner_set_property;

  properties[PROP_COUNTERS] =
    g_param_spec_variant ("counters", NULL, NULL, G_VARIANT_TYPE ("a{st}"), NULL,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "overflowbanner");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
netpulse_overflow_banner_init (NetpulseOverflowBanner *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_xalign (self->label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->label), TRUE);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->label));
  gtk_widget_add_css_class (box, "banner-box");

  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_child (self->revealer, box);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->revealer));
}

GtkWidget *
netpulse_overflow_banner_new (void)
{
  return g_object_new (NETPULSE_TYPE_OVERFLOW_BANNER, NULL);
}
