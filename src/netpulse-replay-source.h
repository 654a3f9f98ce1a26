/* netpulse-replay-source.h — plays a recorded stream: JSON lines as written
 * by netpulse_record_append_json(), one connection per line; consecutive
 * lines with the same "ts_ns" form one tick.  A record with "closed":true
 * is the connection's final record, and it is then removed.
 *
 * Ticks play every @interval_ms, or at the pace of the recording when
 * @interval_ms is 0; after the last one the state stays as it is.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-source.h"

G_BEGIN_DECLS

#define NETPULSE_TYPE_REPLAY_SOURCE (netpulse_replay_source_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseReplaySource, netpulse_replay_source, NETPULSE, REPLAY_SOURCE, NetpulseSource)

NetpulseSource *netpulse_replay_source_new         (const char           *path,
                                                    guint                 interval_ms);
/* Reads and checks the whole file; FALSE with a "file:line: why" error. */
gboolean        netpulse_replay_source_load        (NetpulseReplaySource *self,
                                                    GError              **error);
/* Parses recorded text; @name is used in error messages. */
gboolean        netpulse_replay_source_load_data   (NetpulseReplaySource *self,
                                                    const char           *contents,
                                                    const char           *name,
                                                    GError              **error);
guint           netpulse_replay_source_get_n_ticks (NetpulseReplaySource *self);
/* Emits the next tick now; FALSE when there was none left. */
gboolean        netpulse_replay_source_step        (NetpulseReplaySource *self);

G_END_DECLS
