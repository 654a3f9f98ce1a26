/* netpulse-app-id.h — which application a process belongs to, from what
 * /proc says about it: its cgroup v2 path, its executable, its command
 * line.  Pure text work (no /proc access here): the helper reads, this
 * names.  tests/unit/test-app-id.c holds the real-world paths.
 *
 * The unit is the last component of the cgroup path that names a systemd
 * scope or service (a process of a desktop session sits in
 * /user.slice/user-1000.slice/user@1000.service/app.slice/<unit>).  From
 * the unit:
 *
 *   app[-<launcher>]-<ApplicationID>-<RANDOM>.scope     desktop (flatpak when
 *   app[-<launcher>]-<ApplicationID>[@<RANDOM>].service  the launcher is
 *   app[-<launcher>]-<ApplicationID>-autostart.service   "flatpak")
 *   snap.<name>.<app>-<uuid>.scope                      snap: the snap's name
 *   docker-<64 hex>.scope, libpod-<64 hex>.scope,
 *   cri-containerd-<hex>.scope, crio-<hex>.scope        container: 12 hex
 *   <name>.service                                      service: <name>
 *   anything else                                       process: the basename
 *                                                        of exe, or comm
 *
 * (the XDG "desktop applications as systemd units" convention, which
 * GNOME Shell, KDE Plasma and systemd-run follow).  systemd escapes bytes
 * of a unit name as "\xNN" ("-" inside an id becomes "\x2d"): ids are
 * decoded.
 *
 * Every string this gives is valid UTF-8 without control characters
 * (those and bytes that are not UTF-8 become "\xNN") and fits the record's
 * field, cut on a character boundary.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record.h"

G_BEGIN_DECLS

/* Where the cgroup path or the command line cannot be trusted to be short:
 * longer input is looked at only up to here. */
#define NETPULSE_APP_ID_MAX_INPUT 8192

typedef struct {
  guint8 kind;                                          /* NetpulseAppKind */
  char   unit[sizeof (((NetpulseRecord *) 0)->unit)];
  char   app_id[sizeof (((NetpulseRecord *) 0)->app_id)];
} NetpulseAppId;

/* @cgroup: the path of the "0::" line of /proc/PID/cgroup (NULL or "" when
 * unknown); @exe: the target of /proc/PID/exe (NULL when unknown); @comm:
 * the process's name, used when there is no exe. */
void   netpulse_app_id_parse      (NetpulseAppId *id,
                                   const char    *cgroup,
                                   const char    *exe,
                                   const char    *comm);

/* @len bytes of @raw (-1: up to its NUL) made safe as described above, at
 * most @max_bytes - 1 bytes long: a new string. */
char  *netpulse_app_id_escape     (const char    *raw,
                                   gssize         len,
                                   gsize          max_bytes);

/* The contents of /proc/PID/cmdline (@len bytes, NUL-separated arguments)
 * as one line: arguments joined by spaces, escaped, at most @max_bytes - 1
 * bytes.  A new string. */
char  *netpulse_app_id_cmdline    (const char    *raw,
                                   gsize          len,
                                   gsize          max_bytes);

/* The path of the "0::" line of the contents of /proc/PID/cgroup, a new
 * string, or NULL when there is none (cgroup v1 only). */
char  *netpulse_app_id_cgroup_v2  (const char    *proc_cgroup);

G_END_DECLS
