/* netpulse-metrics-textfile.h — writing the exposition where node_exporter's
 * textfile collector reads it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define NETPULSE_METRICS_TEXTFILE_NAME "netpulse.prom"

/* Checks that @dir is an absolute path to a directory (what SetMetricsExport
 * accepts); G_IO_ERROR_INVALID_ARGUMENT or the error of stat(). */
gboolean netpulse_metrics_textfile_check_dir (const char  *dir,
                                              GError     **error);

/* Replaces @dir/netpulse.prom by @text at once (temporary file, fsync,
 * rename, fsync of the directory): a reader sees the old page or the new
 * one, never part of one, even across a crash. */
gboolean netpulse_metrics_textfile_write     (const char  *dir,
                                              const char  *text,
                                              GError     **error);

G_END_DECLS
