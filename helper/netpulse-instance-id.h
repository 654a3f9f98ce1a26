/* netpulse-instance-id.h — the id of one run of the helper.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 128 random bits as 32 lowercase hex digits, new at every start: records
 * (whose ids start at 1 in every run) say which run made them, so that a
 * client can tell after a restart that every id it holds is stale.  Call it
 * before the sandbox (getrandom(2)). */
char *netpulse_instance_id_new (void);

G_END_DECLS
