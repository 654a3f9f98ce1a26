/* netpulse-app-finder.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-app-finder"

#include "config.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n.h>
#include <string.h>

#include "netpulse-app-finder.h"
#include "netpulse-record.h"

/* Past this many cached processes the cache starts over, so that a
 * long-running session with many short-lived processes stays small. */
#define MAX_CACHED 4096

struct _NetpulseAppFinder
{
  GObject     parent_instance;

  gboolean    use_proc;
  GHashTable *cache;     /* "pid/comm" → GAppInfo, or NULL for "none" */
  GHashTable *by_exec;   /* executable basename (≤ 15 chars) → GAppInfo */
};

G_DEFINE_FINAL_TYPE (NetpulseAppFinder, netpulse_app_finder, G_TYPE_OBJECT)

static void
netpulse_app_finder_finalize (GObject *object)
{
  NetpulseAppFinder *self = NETPULSE_APP_FINDER (object);

  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->by_exec, g_hash_table_unref);

  G_OBJECT_CLASS (netpulse_app_finder_parent_class)->finalize (object);
}

static void
netpulse_app_finder_class_init (NetpulseAppFinderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_app_finder_finalize;
}

static void
unref_if_set (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static void
netpulse_app_finder_init (NetpulseAppFinder *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, unref_if_set);
}

NetpulseAppFinder *
netpulse_app_finder_new (gboolean use_proc)
{
  NetpulseAppFinder *self = g_object_new (NETPULSE_TYPE_APP_FINDER, NULL);

  self->use_proc = use_proc;
  return self;
}

/* systemd escapes "-" inside a unit name component as "\x2d". */
static char *
unescape_unit (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit (p[2]) && g_ascii_isxdigit (p[3]))
        {
          g_string_append_c (out, (char) (g_ascii_xdigit_value (p[2]) * 16 + g_ascii_xdigit_value (p[3])));
          p += 3;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* "app-gnome-org.gnome.Terminal-1234.scope" → "org.gnome.Terminal" and
 * "gnome-org.gnome.Terminal" (the launcher prefix is optional). */
static void
parse_unit (const char *unit,
            GPtrArray  *ids)
{
  g_autofree char *body = NULL;
  char *cut;

  if (!g_str_has_prefix (unit, "app-"))
    return;

  body = g_strdup (unit + strlen ("app-"));
  if (g_str_has_suffix (body, ".scope"))
    {
      body[strlen (body) - strlen (".scope")] = '\0';
      if ((cut = strrchr (body, '-')) != NULL)
        *cut = '\0';
    }
  else if (g_str_has_suffix (body, ".service"))
    {
      body[strlen (body) - strlen (".service")] = '\0';
      if ((cut = strchr (body, '@')) != NULL)
        *cut = '\0';
    }
  else
    return;

  if (body[0] == '\0')
    return;

  /* Without a launcher prefix first would be wrong for "gnome-…": try the
   * part after the first dash first, then the whole. */
  if ((cut = strchr (body, '-')) != NULL && cut[1] != '\0')
    g_ptr_array_add (ids, unescape_unit (cut + 1));
  g_ptr_array_add (ids, unescape_unit (body));
}

char **
netpulse_app_finder_parse_cgroup (const char *cgroup)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;

  if (cgroup == NULL)
    return g_new0 (char *, 1);

  lines = g_strsplit (cgroup, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *path = strrchr (lines[i], ':');
      g_auto(GStrv) parts = NULL;
      guint n;

      if (path == NULL)
        continue;
      parts = g_strsplit (path + 1, "/", -1);
      n = g_strv_length (parts);
      /* The innermost app unit names the app. */
      for (guint j = n; j > 0; j--)
        parse_unit (parts[j - 1], ids);
    }

  g_ptr_array_add (ids, NULL);
  return (char **) g_ptr_array_steal (ids, NULL);
}

static GAppInfo *
app_from_ids (char **ids)
{
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *desktop_id = g_strconcat (ids[i], ".desktop", NULL);
      GDesktopAppInfo *info = g_desktop_app_info_new (desktop_id);

      if (info != NULL)
        return G_APP_INFO (info);
    }
  return NULL;
}

static GAppInfo *
app_from_cgroup (guint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/cgroup", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) ids = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  ids = netpulse_app_finder_parse_cgroup (contents);
  return app_from_ids (ids);
}

static void
index_apps (NetpulseAppFinder *self)
{
  GList *apps = g_app_info_get_all ();

  self->by_exec = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (GList *l = apps; l != NULL; l = l->next)
    {
      GAppInfo *info = l->data;
      const char *exec = g_app_info_get_executable (info);
      g_autofree char *base = NULL;

      if (exec == NULL || !g_app_info_should_show (info))
        continue;
      base = g_path_get_basename (exec);
      /* comm is the first 15 bytes of the executable name. */
      if (strlen (base) > 15)
        base[15] = '\0';
      if (!g_hash_table_contains (self->by_exec, base))
        g_hash_table_insert (self->by_exec, g_steal_pointer (&base), g_object_ref (info));
    }
  g_list_free_full (apps, g_object_unref);
}

static GAppInfo *
app_from_comm (NetpulseAppFinder *self,
               const char        *comm)
{
  if (comm == NULL || comm[0] == '\0')
    return NULL;
  if (self->by_exec == NULL)
    index_apps (self);
  return g_hash_table_lookup (self->by_exec, comm);
}

GAppInfo *
netpulse_app_finder_lookup (NetpulseAppFinder *self,
                            guint              pid,
                            const char        *comm)
{
  g_autofree char *key = g_strdup_printf ("%u/%s", pid, comm != NULL ? comm : "");
  GAppInfo *info = NULL;
  gpointer cached;

  g_return_val_if_fail (NETPULSE_IS_APP_FINDER (self), NULL);

  if (g_hash_table_lookup_extended (self->cache, key, NULL, &cached))
    return cached;

  if (self->use_proc && pid != 0)
    info = app_from_cgroup (pid);
  if (info == NULL)
    {
      info = app_from_comm (self, comm);
      if (info != NULL)
        g_object_ref (info);
    }

  if (g_hash_table_size (self->cache) >= MAX_CACHED)
    g_hash_table_remove_all (self->cache);
  g_hash_table_insert (self->cache, g_steal_pointer (&key), info);
  return info;
}

/* A symbol for applications without a desktop file of their own. */
static const char *
kind_icon (guint8 kind)
{
  switch (kind)
    {
    case NETPULSE_APP_KIND_SERVICE:   return "system-run-symbolic";
    case NETPULSE_APP_KIND_CONTAINER: return "package-x-generic-symbolic";
    case NETPULSE_APP_KIND_SNAP:      return "package-x-generic-symbolic";
    case NETPULSE_APP_KIND_KERNEL:    return "computer-symbolic";
    case NETPULSE_APP_KIND_DESKTOP:
    case NETPULSE_APP_KIND_FLATPAK:
    case NETPULSE_APP_KIND_PROCESS:
    default:                          return "application-x-executable-symbolic";
    }
}

void
netpulse_app_finder_describe (guint8       kind,
                              const char  *app_id,
                              char       **name,
                              GIcon      **icon)
{
  g_return_if_fail (app_id != NULL && name != NULL && icon != NULL);

  if (kind == NETPULSE_APP_KIND_DESKTOP || kind == NETPULSE_APP_KIND_FLATPAK)
    {
      g_autofree char *desktop_id = g_strconcat (app_id, ".desktop", NULL);
      g_autoptr(GDesktopAppInfo) info = g_desktop_app_info_new (desktop_id);

      if (info != NULL)
        {
          GIcon *own = g_app_info_get_icon (G_APP_INFO (info));

          *name = g_strdup (g_app_info_get_display_name (G_APP_INFO (info)));
          *icon = own != NULL ? g_object_ref (own) : g_themed_icon_new (kind_icon (kind));
          return;
        }
    }
  /* Sockets the helper found no process for. */
  *name = g_strdup (app_id[0] != '\0' ? app_id : _("Unknown process"));
  *icon = g_themed_icon_new (kind_icon (kind));
}
