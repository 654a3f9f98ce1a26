/* netpulse-user-names.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-user-names"

#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <unistd.h>

#include "netpulse-user-names.h"

struct _NetpulseUserNames
{
  GObject     parent_instance;
  GHashTable *names;   /* uid → char* */
};

G_DEFINE_FINAL_TYPE (NetpulseUserNames, netpulse_user_names, G_TYPE_OBJECT)

static void
netpulse_user_names_finalize (GObject *object)
{
  g_clear_pointer (&NETPULSE_USER_NAMES (object)->names, g_hash_table_unref);
  G_OBJECT_CLASS (netpulse_user_names_parent_class)->finalize (object);
}

static void
netpulse_user_names_class_init (NetpulseUserNamesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_user_names_finalize;
}

static void
netpulse_user_names_init (NetpulseUserNames *self)
{
  self->names = g_hash_table_new_full (NULL, NULL, NULL, g_free);
}

NetpulseUserNames *
netpulse_user_names_new (void)
{
  return g_object_new (NETPULSE_TYPE_USER_NAMES, NULL);
}

static char *
lookup_passwd (guint uid)
{
  long size = sysconf (_SC_GETPW_R_SIZE_MAX);
  g_autofree char *buf = NULL;
  struct passwd pw, *result = NULL;
  int err;

  if (size <= 0)
    size = 4096;
  for (;;)
    {
      g_free (buf);
      buf = g_malloc (size);
      err = getpwuid_r (uid, &pw, buf, size, &result);
      if (err != ERANGE || size > 1 << 20)
        break;
      size *= 2;
    }
  if (err != 0 || result == NULL)
    return g_strdup_printf ("%u", uid);
  return g_strdup (result->pw_name);
}

const char *
netpulse_user_names_lookup (NetpulseUserNames *self,
                            guint              uid)
{
  char *name;

  g_return_val_if_fail (NETPULSE_IS_USER_NAMES (self), NULL);

  name = g_hash_table_lookup (self->names, GUINT_TO_POINTER (uid));
  if (name == NULL)
    {
      name = lookup_passwd (uid);
      g_hash_table_insert (self->names, GUINT_TO_POINTER (uid), name);
    }
  return name;
}
