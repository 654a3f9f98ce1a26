/* netpulse-app-id.c — cgroup path, executable and command line → the
 * application's identity (see netpulse-app-id.h for the rules).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-app-id.h"

#define CONTAINER_SHORT_ID_LEN 12

/* ---- safe text ---- */

static gboolean
is_control (guchar c)
{
  return c < 0x20 || c == 0x7f;
}

/* The length of the UTF-8 character at @p (at most @left bytes) if it is
 * valid and shows as itself (no C1 control), else 0. */
static gsize
printable_char_len (const char *p,
                    gsize       left)
{
  gunichar c = g_utf8_get_char_validated (p, (gssize) left);

  if (c == (gunichar) -1 || c == (gunichar) -2 || (c >= 0x80 && c <= 0x9f))
    return 0;
  return (gsize) (g_utf8_next_char (p) - p);
}

char *
netpulse_app_id_escape (const char *raw,
                        gssize      len,
                        gsize       max_bytes)
{
  GString *out = g_string_new (NULL);
  gsize n, i = 0;

  g_return_val_if_fail (max_bytes > 0, g_string_free (out, FALSE));

  if (raw == NULL)
    return g_string_free (out, FALSE);
  n = len < 0 ? strlen (raw) : (gsize) len;
  n = MIN (n, NETPULSE_APP_ID_MAX_INPUT);

  while (i < n)
    {
      guchar c = (guchar) raw[i];
      gsize char_len = (c < 0x80 && !is_control (c)) ? 1 : c >= 0x80 ? printable_char_len (raw + i, n - i) : 0;
      gsize out_len = char_len > 0 ? char_len : 4;

      /* Whole characters and whole escapes only: cut before, never inside. */
      if (out->len + out_len > max_bytes - 1)
        break;
      if (char_len > 0)
        g_string_append_len (out, raw + i, (gssize) char_len);
      else
        g_string_append_printf (out, "\\x%02x", c);
      i += char_len > 0 ? char_len : 1;
    }
  return g_string_free (out, FALSE);
}

char *
netpulse_app_id_cmdline (const char *raw,
                         gsize       len,
                         gsize       max_bytes)
{
  g_autofree char *joined = NULL;

  if (raw == NULL)
    return g_strdup ("");
  len = MIN (len, NETPULSE_APP_ID_MAX_INPUT);
  /* The last argument ends with a NUL too; a process that rewrote its
   * arguments may leave several. */
  while (len > 0 && raw[len - 1] == '\0')
    len--;
  joined = g_memdup2 (raw, len + 1);
  joined[len] = '\0';
  for (gsize i = 0; i < len; i++)
    if (joined[i] == '\0')
      joined[i] = ' ';
  return netpulse_app_id_escape (joined, (gssize) len, max_bytes);
}

char *
netpulse_app_id_cgroup_v2 (const char *proc_cgroup)
{
  const char *line = proc_cgroup;

  while (line != NULL && *line != '\0')
    {
      const char *end = strchr (line, '\n');

      if (g_str_has_prefix (line, "0::"))
        return end ? g_strndup (line + 3, (gsize) (end - line - 3)) : g_strdup (line + 3);
      line = end ? end + 1 : NULL;
    }
  return NULL;
}

/* ---- unit names ---- */

static int
hex_value (char c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

/* systemd's "\xNN" escapes of @len bytes of @name decoded, then made safe. */
static void
copy_decoded (char       *dest,
              gsize       dest_size,
              const char *name,
              gsize       len)
{
  g_autoptr(GString) decoded = g_string_sized_new (len);
  g_autofree char *safe = NULL;

  for (gsize i = 0; i < len; i++)
    {
      if (name[i] == '\\' && i + 3 < len && name[i + 1] == 'x'
          && hex_value (name[i + 2]) >= 0 && hex_value (name[i + 3]) >= 0)
        {
          g_string_append_c (decoded, (char) (hex_value (name[i + 2]) * 16 + hex_value (name[i + 3])));
          i += 3;
        }
      else
        g_string_append_c (decoded, name[i]);
    }
  safe = netpulse_app_id_escape (decoded->str, (gssize) decoded->len, dest_size);
  g_strlcpy (dest, safe, dest_size);
}

/* The application is @len bytes of @name, a part of a unit name. */
static gboolean
set_app (NetpulseAppId *id,
         guint8         kind,
         const char    *name,
         gsize          len)
{
  id->kind = kind;
  copy_decoded (id->app_id, sizeof id->app_id, name, len);
  return TRUE;
}

static gboolean
all_hex (const char *text,
         gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (hex_value (text[i]) < 0)
      return FALSE;
  return len > 0;
}

/* app[-<launcher>]-<ApplicationID>-<RANDOM>.scope or
 * app[-<launcher>]-<ApplicationID>[@<RANDOM>|-autostart].service.
 * A launcher is one word without dots ("gnome", "kde", "flatpak"); an id
 * is a reverse-DNS name or a desktop file's name, its dashes escaped. */
static gboolean
parse_desktop_unit (NetpulseAppId *id,
                    const char    *unit,
                    gsize          len,
                    gboolean       scope)
{
  const char *body = unit + 4, *end = unit + len, *cut, *dash, *app;

  if (len <= 4 || !g_str_has_prefix (unit, "app-"))
    return FALSE;
  if (scope)
    {
      cut = g_strrstr_len (body, end - body, "-");
      if (cut != NULL)
        end = cut;
    }
  else if ((cut = g_strrstr_len (body, end - body, "@")) != NULL)
    end = cut;
  else if (end - body > 10 && memcmp (end - 10, "-autostart", 10) == 0)
    end -= 10;

  app = body;
  dash = memchr (body, '-', (gsize) (end - body));
  if (dash != NULL && dash > body && memchr (body, '.', (gsize) (dash - body)) == NULL)
    app = dash + 1;
  if (app >= end)
    return FALSE;

  return set_app (id, app != body && dash - body == 7 && memcmp (body, "flatpak", 7) == 0
                      ? NETPULSE_APP_KIND_FLATPAK : NETPULSE_APP_KIND_DESKTOP,
                  app, (gsize) (end - app));
}

/* snap.<name>.<app>-<uuid>.scope (and snap.<name>.hook.<hook>-<uuid>.scope) */
static gboolean
parse_snap_unit (NetpulseAppId *id,
                 const char    *unit,
                 gsize          len)
{
  const char *name = unit + 5, *dot;

  if (len <= 5 || !g_str_has_prefix (unit, "snap."))
    return FALSE;
  dot = memchr (name, '.', len - 5);
  if (dot == NULL || dot == name)
    return FALSE;
  return set_app (id, NETPULSE_APP_KIND_SNAP, name, (gsize) (dot - name));
}

static gboolean
set_container (NetpulseAppId *id,
               const char    *hex,
               gsize          len)
{
  if (len < CONTAINER_SHORT_ID_LEN || !all_hex (hex, len))
    return FALSE;
  return set_app (id, NETPULSE_APP_KIND_CONTAINER, hex, CONTAINER_SHORT_ID_LEN);
}

/* docker-<hex>.scope, libpod-[conmon-]<hex>.scope, cri-containerd-<hex>.scope, crio-<hex>.scope */
static gboolean
parse_container_unit (NetpulseAppId *id,
                      const char    *unit,
                      gsize          len)
{
  static const char * const prefixes[] = {
    "docker-", "libpod-conmon-", "libpod-", "cri-containerd-", "crio-conmon-", "crio-",
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      gsize prefix_len = strlen (prefixes[i]);

      if (len > prefix_len && strncmp (unit, prefixes[i], prefix_len) == 0)
        return set_container (id, unit + prefix_len, len - prefix_len);
    }
  return FALSE;
}

static gboolean
has_suffix_len (const char *text,
                gsize       len,
                const char *suffix)
{
  gsize suffix_len = strlen (suffix);

  return len > suffix_len && memcmp (text + len - suffix_len, suffix, suffix_len) == 0;
}

static void
parse_unit (NetpulseAppId *id,
            const char    *unit,
            gsize          len)
{
  gboolean scope = has_suffix_len (unit, len, ".scope");
  gsize stem = len - (scope ? strlen (".scope") : strlen (".service"));

  if (parse_desktop_unit (id, unit, stem, scope))
    return;
  if (scope && (parse_snap_unit (id, unit, stem) || parse_container_unit (id, unit, stem)))
    return;
  if (!scope)
    set_app (id, NETPULSE_APP_KIND_SERVICE, unit, stem);
}

/* The last component of @cgroup that names a scope or a service; or, with
 * no unit at all, a container of the cgroupfs driver (/docker/<64 hex>). */
static void
parse_cgroup (NetpulseAppId *id,
              const char    *cgroup)
{
  const char *end = cgroup + strlen (cgroup);

  while (end > cgroup)
    {
      const char *start = end;
      gsize len;

      while (start > cgroup && start[-1] != '/')
        start--;
      len = (gsize) (end - start);
      if (has_suffix_len (start, len, ".scope") || has_suffix_len (start, len, ".service"))
        {
          g_autofree char *unit = netpulse_app_id_escape (start, (gssize) len, sizeof id->unit);

          g_strlcpy (id->unit, unit, sizeof id->unit);
          parse_unit (id, start, len);
          return;
        }
      if (end == cgroup + strlen (cgroup) && len == 64 && set_container (id, start, len))
        return;
      end = start > cgroup ? start - 1 : cgroup;
    }
}

static void
set_process (NetpulseAppId *id,
             const char    *exe,
             const char    *comm)
{
  const char *name = comm != NULL ? comm : "";
  g_autofree char *safe = NULL;
  gsize len;

  if (exe != NULL && *exe != '\0')
    {
      const char *slash = strrchr (exe, '/');

      name = slash != NULL ? slash + 1 : exe;
    }
  len = strlen (name);
  /* the executable was replaced or removed since the process started */
  if (has_suffix_len (name, len, " (deleted)"))
    len -= strlen (" (deleted)");
  id->kind = NETPULSE_APP_KIND_PROCESS;
  safe = netpulse_app_id_escape (name, (gssize) len, sizeof id->app_id);
  g_strlcpy (id->app_id, safe, sizeof id->app_id);
}

void
netpulse_app_id_parse (NetpulseAppId *id,
                       const char    *cgroup,
                       const char    *exe,
                       const char    *comm)
{
  g_return_if_fail (id != NULL);

  memset (id, 0, sizeof *id);
  if (cgroup != NULL)
    parse_cgroup (id, cgroup);
  if (id->app_id[0] == '\0')
    set_process (id, exe, comm);
}
