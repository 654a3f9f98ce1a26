/* netpulse-record-writer.h — an array of records written straight into
 * its serialised GVariant form (NETPULSE_RECORDS_TYPE).
 *
 * What g_variant_builder_add_value (netpulse_record_to_variant ()) and
 * g_variant_get_data() make, byte for byte, without a GVariant per record
 * and without a copy of the record: the helper writes every changed record
 * of every tick, 100,000 of them in a full frame.
 *
 * Not thread-safe: one writer, one thread at a time.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

typedef struct _NetpulseRecordWriter NetpulseRecordWriter;

NetpulseRecordWriter *netpulse_record_writer_new           (void);
void                  netpulse_record_writer_free          (NetpulseRecordWriter *self);
/* Appends @record: its texts made valid UTF-8 and cut at a whole character
 * to what the record holds, as netpulse_record_to_variant() does. */
void                  netpulse_record_writer_add           (NetpulseRecordWriter *self,
                                                            const NetpulseRecord *record);
guint                 netpulse_record_writer_get_n_records (NetpulseRecordWriter *self);
/* The records added so far, a floating GVariant of NETPULSE_RECORDS_TYPE
 * in normal form; the writer is empty again afterwards. */
GVariant             *netpulse_record_writer_end           (NetpulseRecordWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseRecordWriter, netpulse_record_writer_free)

G_END_DECLS
