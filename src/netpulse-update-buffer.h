/* netpulse-update-buffer.h — updates that arrive while the view is paused,
 * merged (newest record per connection wins) and applied in one go on
 * resume, so that pausing loses no close and no total.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-connection-store.h"

G_BEGIN_DECLS

typedef struct _NetpulseUpdateBuffer NetpulseUpdateBuffer;

NetpulseUpdateBuffer *netpulse_update_buffer_new          (void);
void                  netpulse_update_buffer_free         (NetpulseUpdateBuffer *self);
void                  netpulse_update_buffer_add_update   (NetpulseUpdateBuffer *self,
                                                           guint64               timestamp_ns,
                                                           const NetpulseRecord *changed,
                                                           guint                 n_changed,
                                                           const guint64        *removed,
                                                           guint                 n_removed);
void                  netpulse_update_buffer_add_snapshot (NetpulseUpdateBuffer *self,
                                                           guint64               timestamp_ns,
                                                           const NetpulseRecord *records,
                                                           guint                 n_records);
gboolean              netpulse_update_buffer_is_empty     (NetpulseUpdateBuffer *self);
/* Applies everything buffered to @store and empties the buffer. */
void                  netpulse_update_buffer_flush        (NetpulseUpdateBuffer    *self,
                                                           NetpulseConnectionStore *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseUpdateBuffer, netpulse_update_buffer_free)

G_END_DECLS
