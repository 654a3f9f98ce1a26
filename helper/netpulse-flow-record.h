/* netpulse-flow-record.h — a flow's record as the flow table holds it:
 * the flow's own fields, and the identity of its process (the TEXT and
 * APPKIND fields of netpulse-record-fields.h: exe, cmdline, unit, app_id,
 * app_kind), shared by every flow with the same identity.
 *
 * Why: the identity is ~770 of a record's ~1,000 bytes and the same for
 * all the flows of a process.  At 100,000 connections of a few servers
 * the table held ~75 MiB of copies of the same few command lines, all
 * written (page by page) at the first tick.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

/* The kinds a flow holds itself, and those of its identity. */
#define NETPULSE_FLOW_PART_U64     FLOW
#define NETPULSE_FLOW_PART_U32     FLOW
#define NETPULSE_FLOW_PART_U16     FLOW
#define NETPULSE_FLOW_PART_U8      FLOW
#define NETPULSE_FLOW_PART_DOUBLE  FLOW
#define NETPULSE_FLOW_PART_COMM    FLOW_ARRAY
#define NETPULSE_FLOW_PART_ADDR    FLOW_ARRAY
#define NETPULSE_FLOW_PART_PROTO   FLOW
#define NETPULSE_FLOW_PART_STATE   FLOW
#define NETPULSE_FLOW_PART_FLAGS   FLOW
#define NETPULSE_FLOW_PART_TEXT    IDENTITY_TEXT
#define NETPULSE_FLOW_PART_APPKIND IDENTITY
/* NETPULSE_FLOW_BY_PART (STEP, KIND, name, max) expands STEP_<part> (KIND, name, max). */
#define NETPULSE_FLOW_BY_PART(step, kind, name, max) \
  NETPULSE_FLOW_BY_PART_ (step, NETPULSE_FLOW_PART_##kind, kind, name, max)
#define NETPULSE_FLOW_BY_PART_(step, part, kind, name, max) \
  NETPULSE_FLOW_BY_PART__ (step, part, kind, name, max)
#define NETPULSE_FLOW_BY_PART__(step, part, kind, name, max) step##_##part (kind, name, max)

#define NETPULSE_FLOW_DECLARE_FLOW(kind, name, max)          NETPULSE_RECORD_DECLARE_##kind (name, max);
#define NETPULSE_FLOW_DECLARE_FLOW_ARRAY(kind, name, max)    NETPULSE_RECORD_DECLARE_##kind (name, max);
#define NETPULSE_FLOW_DECLARE_IDENTITY_TEXT(kind, name, max)
#define NETPULSE_FLOW_DECLARE_IDENTITY(kind, name, max)
#define NETPULSE_FLOW_DECLARE(kind, name, max) NETPULSE_FLOW_BY_PART (NETPULSE_FLOW_DECLARE, kind, name, max)

/* A record without its identity fields. */
typedef struct {
  NETPULSE_RECORD_FIELDS (NETPULSE_FLOW_DECLARE)
} NetpulseFlowRecord;

typedef struct _NetpulseFlowIdentity NetpulseFlowIdentity;

/* The identities in use, each once. */
typedef struct _NetpulseFlowIdentities NetpulseFlowIdentities;

NetpulseFlowIdentities *netpulse_flow_identities_new      (void);
void                    netpulse_flow_identities_free     (NetpulseFlowIdentities *self);
/* The identity fields of @record, as one shared identity: a reference
 * for the caller, given back with netpulse_flow_identities_release(). */
NetpulseFlowIdentity   *netpulse_flow_identities_intern   (NetpulseFlowIdentities *self,
                                                           const NetpulseRecord   *record);
void                    netpulse_flow_identities_release  (NetpulseFlowIdentities *self,
                                                           NetpulseFlowIdentity   *identity);
guint                   netpulse_flow_identities_get_size (NetpulseFlowIdentities *self);

/* Empties the identity fields of @record (before a NetpulseIdentityFunc
 * fills them). */
void                    netpulse_flow_record_clear_identity (NetpulseRecord *record);
/* Whether @identity (NULL: none) names an application. */
gboolean                netpulse_flow_identity_has_app_id   (const NetpulseFlowIdentity *identity);
/* The whole record: @flow's fields and @identity's (NULL: empty). */
void                    netpulse_flow_record_expand         (const NetpulseFlowRecord   *flow,
                                                             const NetpulseFlowIdentity *identity,
                                                             NetpulseRecord             *record);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseFlowIdentities, netpulse_flow_identities_free)

G_END_DECLS
