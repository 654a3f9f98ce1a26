/* netpulse-protocol.h — the facts of io.github.netpulse.Helper1 that both
 * ends must agree on: names, interval bounds, the record and frame types.
 *
 * Only preprocessor definitions, no includes of GLib: the benchmark probe
 * (bench/np-dbus-probe.c, built also without the project) uses it as it is.
 * data/io.github.netpulse.Helper1.xml documents the same facts; tests/unit/
 * test-record.c fails when the XML's record signature differs from
 * NETPULSE_RECORD_SIGNATURE.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-record-fields.h"

/* The bus name, object path and interface.  meson.build holds the same bus
 * name and path for the installed files (bus policy, activation file) and
 * passes them on as config.h's HELPER_BUS_NAME and HELPER_OBJECT_PATH;
 * tests/unit/test-record.c checks that both agree. */
#define NETPULSE_HELPER_BUS_NAME     "io.github.netpulse.Helper1"
#define NETPULSE_HELPER_OBJECT_PATH  "/io/github/netpulse/Helper1"
#define NETPULSE_HELPER_INTERFACE    "io.github.netpulse.Helper1"

/* Subscribe's "interval-ms": the helper refuses values outside these bounds;
 * clients clamp or refuse them before they ask. */
#define NETPULSE_INTERVAL_MIN_MS      100
#define NETPULSE_INTERVAL_MAX_MS      10000
#define NETPULSE_INTERVAL_DEFAULT_MS  1000

/* Subscribe's and SetOptions' "window-ms": the smoothed rates (tx_rate_avg,
 * rx_rate_avg) are averages over this much time. */
#define NETPULSE_WINDOW_MIN_MS        1000
#define NETPULSE_WINDOW_MAX_MS        60000
#define NETPULSE_WINDOW_DEFAULT_MS    5000

/* One connection record (see netpulse-record-fields.h) and one frame of a
 * subscription's stream (see netpulse-frame.h). */
#define NETPULSE_RECORD_SIGNATURE   "(" NETPULSE_RECORD_FIELDS (NETPULSE_RECORD_FIELD_SIGNATURE) ")"
#define NETPULSE_FRAME_SIGNATURE    "(ttua" NETPULSE_RECORD_SIGNATURE "ata{sv})"
#define NETPULSE_FRAME_MAGIC        0x3155504Eu
#define NETPULSE_FRAME_HEADER_SIZE  8
/* A reader refuses longer payloads: 100,000 records are ~40 MiB. */
#define NETPULSE_FRAME_MAX_LENGTH   (256u * 1024 * 1024)
