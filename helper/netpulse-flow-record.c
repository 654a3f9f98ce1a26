/* netpulse-flow-record.c — a flow's fields and its shared identity.
 *
 * An identity is immutable once interned: one allocation, its texts after
 * it, counted references from the flows that have it.  The set finds an
 * identity by its content, so that the flows of one process (or of
 * processes that look alike: 100 workers of one server) share one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <string.h>

#include "netpulse-flow-record.h"

#define IDENTITY_DECLARE_FLOW(kind, name, max)
#define IDENTITY_DECLARE_FLOW_ARRAY(kind, name, max)
#define IDENTITY_DECLARE_IDENTITY_TEXT(kind, name, max) const char *name; gsize name##_len;
#define IDENTITY_DECLARE_IDENTITY(kind, name, max)      NETPULSE_RECORD_DECLARE_##kind (name, max);
#define IDENTITY_DECLARE(kind, name, max) NETPULSE_FLOW_BY_PART (IDENTITY_DECLARE, kind, name, max)

struct _NetpulseFlowIdentity
{
  guint ref_count;
  guint hash;
  NETPULSE_RECORD_FIELDS (IDENTITY_DECLARE)
};

struct _NetpulseFlowIdentities
{
  GHashTable *set;   /* NetpulseFlowIdentity *, by content */
};

/* An identity of the texts in @record, pointing into it: the key to look
 * one up by. */
#define VIEW_FLOW(kind, name, max)
#define VIEW_FLOW_ARRAY(kind, name, max)
#define VIEW_IDENTITY_TEXT(kind, name, max) \
  view->name = record->name; \
  view->name##_len = strnlen (record->name, sizeof record->name - 1); \
  view->hash = hash_text (view->hash, view->name, view->name##_len);
#define VIEW_IDENTITY(kind, name, max) \
  view->name = record->name; \
  view->hash = view->hash * 31 + record->name;
#define VIEW(kind, name, max) NETPULSE_FLOW_BY_PART (VIEW, kind, name, max)

static guint
hash_text (guint       hash,
           const char *text,
           gsize       len)
{
  for (gsize i = 0; i < len; i++)
    hash = hash * 33 + (guchar) text[i];
  return hash * 31;
}

static void
view_of (const NetpulseRecord *record,
         NetpulseFlowIdentity *view)
{
  memset (view, 0, sizeof *view);
  NETPULSE_RECORD_FIELDS (VIEW)
}

static guint
identity_hash (gconstpointer key)
{
  return ((const NetpulseFlowIdentity *) key)->hash;
}

#define EQUAL_FLOW(kind, name, max)
#define EQUAL_FLOW_ARRAY(kind, name, max)
#define EQUAL_IDENTITY_TEXT(kind, name, max) \
  if (x->name##_len != y->name##_len || memcmp (x->name, y->name, x->name##_len) != 0) \
    return FALSE;
#define EQUAL_IDENTITY(kind, name, max) \
  if (x->name != y->name) \
    return FALSE;
#define EQUAL(kind, name, max) NETPULSE_FLOW_BY_PART (EQUAL, kind, name, max)

static gboolean
identity_equal (gconstpointer a,
                gconstpointer b)
{
  const NetpulseFlowIdentity *x = a, *y = b;

  NETPULSE_RECORD_FIELDS (EQUAL)
  return TRUE;
}

/* The view made lasting: the texts copied after the struct. */
#define TEXT_SIZE_FLOW(kind, name, max)
#define TEXT_SIZE_FLOW_ARRAY(kind, name, max)
#define TEXT_SIZE_IDENTITY_TEXT(kind, name, max) size += view->name##_len + 1;
#define TEXT_SIZE_IDENTITY(kind, name, max)
#define TEXT_SIZE(kind, name, max) NETPULSE_FLOW_BY_PART (TEXT_SIZE, kind, name, max)
#define COPY_TEXT_FLOW(kind, name, max)
#define COPY_TEXT_FLOW_ARRAY(kind, name, max)
#define COPY_TEXT_IDENTITY_TEXT(kind, name, max) \
  memcpy (p, view->name, view->name##_len); \
  p[view->name##_len] = '\0'; \
  identity->name = p; \
  p += view->name##_len + 1;
#define COPY_TEXT_IDENTITY(kind, name, max)
#define COPY_TEXT(kind, name, max) NETPULSE_FLOW_BY_PART (COPY_TEXT, kind, name, max)

static NetpulseFlowIdentity *
identity_new (const NetpulseFlowIdentity *view)
{
  gsize size = sizeof (NetpulseFlowIdentity);
  NetpulseFlowIdentity *identity;
  char *p;

  NETPULSE_RECORD_FIELDS (TEXT_SIZE)
  identity = g_malloc (size);
  *identity = *view;
  p = (char *) (identity + 1);
  NETPULSE_RECORD_FIELDS (COPY_TEXT)
  identity->ref_count = 0;
  return identity;
}

NetpulseFlowIdentities *
netpulse_flow_identities_new (void)
{
  NetpulseFlowIdentities *self = g_new0 (NetpulseFlowIdentities, 1);

  self->set = g_hash_table_new_full (identity_hash, identity_equal, g_free, NULL);
  return self;
}

void
netpulse_flow_identities_free (NetpulseFlowIdentities *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->set);
  g_free (self);
}

NetpulseFlowIdentity *
netpulse_flow_identities_intern (NetpulseFlowIdentities *self,
                                 const NetpulseRecord   *record)
{
  NetpulseFlowIdentity view;
  NetpulseFlowIdentity *identity;

  view_of (record, &view);
  identity = g_hash_table_lookup (self->set, &view);
  if (identity == NULL)
    {
      identity = identity_new (&view);
      g_hash_table_add (self->set, identity);
    }
  identity->ref_count++;
  return identity;
}

void
netpulse_flow_identities_release (NetpulseFlowIdentities *self,
                                  NetpulseFlowIdentity   *identity)
{
  if (identity == NULL)
    return;
  g_assert (identity->ref_count > 0);
  if (--identity->ref_count == 0)
    g_hash_table_remove (self->set, identity);
}

guint
netpulse_flow_identities_get_size (NetpulseFlowIdentities *self)
{
  return g_hash_table_size (self->set);
}

#define CLEAR_FLOW(kind, name, max)
#define CLEAR_FLOW_ARRAY(kind, name, max)
#define CLEAR_IDENTITY_TEXT(kind, name, max) record->name[0] = '\0';
#define CLEAR_IDENTITY(kind, name, max)      record->name = 0;
#define CLEAR(kind, name, max) NETPULSE_FLOW_BY_PART (CLEAR, kind, name, max)

void
netpulse_flow_record_clear_identity (NetpulseRecord *record)
{
  NETPULSE_RECORD_FIELDS (CLEAR)
}

gboolean
netpulse_flow_identity_has_app_id (const NetpulseFlowIdentity *identity)
{
  return identity != NULL && identity->app_id[0] != '\0';
}

#define EXPAND_FLOW(kind, name, max)       record->name = flow->name;
#define EXPAND_FLOW_ARRAY(kind, name, max) memcpy (record->name, flow->name, sizeof record->name);
#define EXPAND_IDENTITY_TEXT(kind, name, max) \
  if (identity != NULL) \
    memcpy (record->name, identity->name, identity->name##_len + 1); \
  else \
    record->name[0] = '\0';
#define EXPAND_IDENTITY(kind, name, max)   record->name = identity != NULL ? identity->name : 0;
#define EXPAND(kind, name, max) NETPULSE_FLOW_BY_PART (EXPAND, kind, name, max)

void
netpulse_flow_record_expand (const NetpulseFlowRecord   *flow,
                             const NetpulseFlowIdentity *identity,
                             NetpulseRecord             *record)
{
  NETPULSE_RECORD_FIELDS (EXPAND)
}
