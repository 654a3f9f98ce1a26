/* netpulse-sample-names.h — the identities (exe, cmdline, unit, app_id,
 * app_kind) of the processes named during one sample, so that the flows of
 * a process are named from /proc once per sample, not once each.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

typedef struct _NetpulseSampleNames NetpulseSampleNames;

NetpulseSampleNames *netpulse_sample_names_new   (void);
void                 netpulse_sample_names_free  (NetpulseSampleNames *self);
/* Fills @record's identity from the process @pid named @comm if it was
 * named in this sample; FALSE if not. */
gboolean             netpulse_sample_names_fill  (NetpulseSampleNames  *self,
                                                  guint32               pid,
                                                  const char           *comm,
                                                  NetpulseRecord       *record);
void                 netpulse_sample_names_add   (NetpulseSampleNames  *self,
                                                  guint32               pid,
                                                  const char           *comm,
                                                  const NetpulseRecord *record);
/* At the end of a sample: by the next one a pid may be another process. */
void                 netpulse_sample_names_clear (NetpulseSampleNames  *self);

G_END_DECLS
