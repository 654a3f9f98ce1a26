/* netpulse-resolver.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-resolver"

#include "config.h"

#include <netdb.h>
#include <arpa/inet.h>

#include "netpulse-record.h"
#include "netpulse-resolver.h"

/* Lookups in flight at once; more wait for a later redraw to ask again. */
#define MAX_PENDING 16
#define MAX_CACHED  8192

struct _NetpulseResolver
{
  GObject       parent_instance;

  GResolver    *resolver;
  GCancellable *cancellable;
  GHashTable   *hosts;     /* address → name; "" while pending or when none */
  GHashTable   *services;  /* (port << 8 | proto) → name or NULL */
  guint         pending;
};

G_DEFINE_FINAL_TYPE (NetpulseResolver, netpulse_resolver, G_TYPE_OBJECT)

enum {
  RESOLVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
netpulse_resolver_dispose (GObject *object)
{
  NetpulseResolver *self = NETPULSE_RESOLVER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->resolver);

  G_OBJECT_CLASS (netpulse_resolver_parent_class)->dispose (object);
}

static void
netpulse_resolver_finalize (GObject *object)
{
  NetpulseResolver *self = NETPULSE_RESOLVER (object);

  g_clear_pointer (&self->hosts, g_hash_table_unref);
  g_clear_pointer (&self->services, g_hash_table_unref);

  G_OBJECT_CLASS (netpulse_resolver_parent_class)->finalize (object);
}

static void
netpulse_resolver_class_init (NetpulseResolverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_resolver_dispose;
  object_class->finalize = netpulse_resolver_finalize;

  signals[RESOLVED] =
    g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
netpulse_resolver_init (NetpulseResolver *self)
{
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->services = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->cancellable = g_cancellable_new ();
}

NetpulseResolver *
netpulse_resolver_new (void)
{
  return g_object_new (NETPULSE_TYPE_RESOLVER, NULL);
}

typedef struct {
  NetpulseResolver *self;
  char             *address;
} Lookup;

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Lookup *lookup = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_resolver_lookup_by_address_finish (G_RESOLVER (object), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      NetpulseResolver *self = lookup->self;

      self->pending--;
      if (name != NULL)
        {
          g_hash_table_replace (self->hosts, g_strdup (lookup->address), g_steal_pointer (&name));
          g_signal_emit (self, signals[RESOLVED], 0, lookup->address);
        }
    }
  g_object_unref (lookup->self);
  g_free (lookup->address);
  g_free (lookup);
}

const char *
netpulse_resolver_lookup_host (NetpulseResolver *self,
                               const char       *address)
{
  g_autoptr(GInetAddress) inet = NULL;
  const char *cached;
  Lookup *lookup;

  g_return_val_if_fail (NETPULSE_IS_RESOLVER (self), NULL);

  if (address == NULL || address[0] == '\0')
    return NULL;

  cached = g_hash_table_lookup (self->hosts, address);
  if (cached != NULL)
    return cached[0] != '\0' ? cached : NULL;

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL || self->pending >= MAX_PENDING)
    return NULL;

  if (g_hash_table_size (self->hosts) >= MAX_CACHED)
    g_hash_table_remove_all (self->hosts);
  /* "" marks it pending (and stays when there is no name). */
  g_hash_table_insert (self->hosts, g_strdup (address), g_strdup (""));

  if (self->resolver == NULL)
    self->resolver = g_resolver_get_default ();
  lookup = g_new0 (Lookup, 1);
  lookup->self = g_object_ref (self);
  lookup->address = g_strdup (address);
  self->pending++;
  g_resolver_lookup_by_address_async (self->resolver, inet, self->cancellable, lookup_cb, lookup);
  return NULL;
}

const char *
netpulse_resolver_service_name (NetpulseResolver *self,
                                guint16           port,
                                guint8            proto)
{
  gpointer key = GUINT_TO_POINTER (((guint) port << 8) | proto);
  gpointer value;
  struct servent entry, *result = NULL;
  char buf[1024];

  g_return_val_if_fail (NETPULSE_IS_RESOLVER (self), NULL);

  if (port == 0)
    return NULL;
  if (g_hash_table_lookup_extended (self->services, key, NULL, &value))
    return value;

  getservbyport_r (htons (port), netpulse_proto_name (proto), &entry, buf, sizeof buf, &result);
  value = result != NULL ? g_strdup (result->s_name) : NULL;
  g_hash_table_insert (self->services, key, value);
  return value;
}
