/* netpulse-sample-names.c — see netpulse-sample-names.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <string.h>

#include <linux/types.h>
#include "netpulse.h"

#include "netpulse-sample-names.h"

typedef struct {
  char   comm[NP_COMM_LEN];
  char   exe[sizeof ((NetpulseRecord *) NULL)->exe];
  char   cmdline[sizeof ((NetpulseRecord *) NULL)->cmdline];
  char   unit[sizeof ((NetpulseRecord *) NULL)->unit];
  char   app_id[sizeof ((NetpulseRecord *) NULL)->app_id];
  guint8 app_kind;
} Named;

struct _NetpulseSampleNames
{
  GHashTable *by_pid;     /* pid → Named */
};

NetpulseSampleNames *
netpulse_sample_names_new (void)
{
  NetpulseSampleNames *self = g_new0 (NetpulseSampleNames, 1);

  self->by_pid = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return self;
}

void
netpulse_sample_names_free (NetpulseSampleNames *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_pid);
  g_free (self);
}

gboolean
netpulse_sample_names_fill (NetpulseSampleNames *self,
                            guint32              pid,
                            const char          *comm,
                            NetpulseRecord      *record)
{
  const Named *named = g_hash_table_lookup (self->by_pid, GUINT_TO_POINTER (pid));

  /* another name: another process under the same pid, or a new exec */
  if (named == NULL || strcmp (named->comm, comm) != 0)
    return FALSE;
  /* whole arrays of the record's own sizes, NUL-terminated: copied as
   * they are (g_strlcpy() goes byte by byte, per flow) */
  memcpy (record->exe, named->exe, sizeof record->exe);
  memcpy (record->cmdline, named->cmdline, sizeof record->cmdline);
  memcpy (record->unit, named->unit, sizeof record->unit);
  memcpy (record->app_id, named->app_id, sizeof record->app_id);
  record->app_kind = named->app_kind;
  return TRUE;
}

void
netpulse_sample_names_add (NetpulseSampleNames  *self,
                           guint32               pid,
                           const char           *comm,
                           const NetpulseRecord *record)
{
  Named *named = g_new0 (Named, 1);

  g_strlcpy (named->comm, comm, sizeof named->comm);
  memcpy (named->exe, record->exe, sizeof named->exe);
  memcpy (named->cmdline, record->cmdline, sizeof named->cmdline);
  memcpy (named->unit, record->unit, sizeof named->unit);
  memcpy (named->app_id, record->app_id, sizeof named->app_id);
  named->app_kind = record->app_kind;
  g_hash_table_replace (self->by_pid, GUINT_TO_POINTER (pid), named);
}

void
netpulse_sample_names_clear (NetpulseSampleNames *self)
{
  g_hash_table_remove_all (self->by_pid);
}
