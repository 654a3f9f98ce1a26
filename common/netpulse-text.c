/* netpulse-text.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-text"

#include "config.h"

#include <string.h>

#include "netpulse-text.h"

#define REPLACEMENT_CHARACTER "\xef\xbf\xbd"   /* U+FFFD in UTF-8 */

gboolean
netpulse_text_char_is_unsafe (gunichar c)
{
  if (c < 0x20 || c == 0x7f)
    return TRUE;
  if (c < 0xa0)
    return c >= 0x80;                  /* C1: 0x9b alone is a CSI */

  switch (g_unichar_type (c))
    {
    /* Format characters change how text around them is shown and are not
     * seen themselves: bidi embeddings, overrides and isolates, zero-width
     * spaces and joiners, the soft hyphen, the byte order mark, the tag
     * characters that hide ASCII in plain sight. */
    case G_UNICODE_FORMAT:
    /* U+2028 and U+2029 end a line wherever Unicode line breaking is
     * followed (Pango, some terminals): a forged row again. */
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    /* Surrogates and other controls cannot come from valid UTF-8 or are
     * covered above; kept for completeness. */
    case G_UNICODE_CONTROL:
    case G_UNICODE_SURROGATE:
      return TRUE;
    default:
      break;
    }

  /* Letters that show as nothing, for a name that looks blank or like
   * another with a space in it. */
  return c == 0x115f || c == 0x1160 || c == 0x3164 || c == 0xffa0;
}

/* The codepoint at @p, or -1 when @p does not start a valid UTF-8
 * character (a lone byte of a broken name). */
static gunichar
get_char (const char *p)
{
  gunichar c = g_utf8_get_char_validated (p, -1);

  return c == (gunichar) -1 || c == (gunichar) -2 ? (gunichar) -1 : c;
}

/* How many bytes at the start of @text show as they are.  ASCII is
 * decided without decoding: almost every name is ASCII. */
static gsize
safe_prefix (const char *text)
{
  const char *p = text;

  while (*p != '\0')
    {
      guchar byte = *p;
      gunichar c;

      if (byte >= 0x20 && byte < 0x7f)
        {
          p++;
          continue;
        }
      if (byte < 0x80)
        break;                         /* C0 or DEL */
      c = get_char (p);
      if (c == (gunichar) -1 || netpulse_text_char_is_unsafe (c))
        break;
      p = g_utf8_next_char (p);
    }
  return p - text;
}

gboolean
netpulse_text_is_safe (const char *text)
{
  return text == NULL || text[safe_prefix (text)] == '\0';
}

static void
append_escape (GString  *out,
               gunichar  c)
{
  /* The mnemonics a shell's printf and C use, for the controls people
   * know by name. */
  static const char mnemonics[0x20] = {
    [0x07] = 'a', [0x08] = 'b', [0x09] = 't', [0x0a] = 'n',
    [0x0b] = 'v', [0x0c] = 'f', [0x0d] = 'r', [0x1b] = 'e',
  };

  if (c < G_N_ELEMENTS (mnemonics) && mnemonics[c] != '\0')
    {
      g_string_append_c (out, '\\');
      g_string_append_c (out, mnemonics[c]);
    }
  else if (c < 0x80)
    g_string_append_printf (out, "\\x%02x", c);
  else
    g_string_append_printf (out, "\\u{%x}", c);
}

/* Appends @text from @p on, escaped; @p is where the first unsafe
 * character is. */
static void
append_escaped_from (GString    *out,
                     const char *p)
{
  while (*p != '\0')
    {
      gsize run = safe_prefix (p);
      gunichar c;

      g_string_append_len (out, p, run);
      p += run;
      if (*p == '\0')
        break;

      c = get_char (p);
      if (c == (gunichar) -1)
        {
          /* Not UTF-8: the byte itself, distinct from "\u{…}". */
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      append_escape (out, c);
      p = g_utf8_next_char (p);
    }
}

const char *
netpulse_text_safe (const char  *text,
                    char       **owned)
{
  gsize run;
  GString *out;

  g_assert (owned != NULL);

  *owned = NULL;
  if (text == NULL)
    return NULL;

  run = safe_prefix (text);
  if (G_LIKELY (text[run] == '\0'))
    return text;

  out = g_string_sized_new (strlen (text) + 16);
  g_string_append_len (out, text, run);
  append_escaped_from (out, text + run);
  *owned = g_string_free (out, FALSE);
  return *owned;
}

char *
netpulse_text_dup_safe (const char *text)
{
  char *owned = NULL;
  const char *safe = netpulse_text_safe (text != NULL ? text : "", &owned);

  return owned != NULL ? owned : g_strdup (safe);
}

void
netpulse_text_append_safe (GString    *out,
                           const char *text)
{
  g_assert (out != NULL);

  if (text != NULL)
    append_escaped_from (out, text);
}

/* "\uXXXX", or a surrogate pair beyond the Basic Multilingual Plane, as
 * RFC 8259 section 7 spells characters outside it. */
static void
append_json_escape (GString  *out,
                    gunichar  c)
{
  if (c < 0x10000)
    g_string_append_printf (out, "\\u%04x", c);
  else
    {
      c -= 0x10000;
      g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    }
}

void
netpulse_text_append_json_string (GString    *out,
                                  const char *text)
{
  g_assert (out != NULL);

  g_string_append_c (out, '"');
  for (const char *p = text != NULL ? text : ""; *p != '\0';)
    {
      guchar byte = *p;
      gunichar c;

      if (byte == '"' || byte == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, byte);
          p++;
          continue;
        }
      if (byte >= 0x20 && byte < 0x7f)
        {
          /* A run of plain ASCII at once: most names are nothing else. */
          const char *start = p;

          while ((guchar) *p >= 0x20 && (guchar) *p < 0x7f && *p != '"' && *p != '\\')
            p++;
          g_string_append_len (out, start, p - start);
          continue;
        }
      if (byte < 0x80)
        {
          append_json_escape (out, byte);   /* C0 and DEL */
          p++;
          continue;
        }

      c = get_char (p);
      if (c == (gunichar) -1)
        {
          /* JSON must be UTF-8: a broken name keeps every good byte. */
          g_string_append (out, REPLACEMENT_CHARACTER);
          p++;
          continue;
        }
      if (netpulse_text_char_is_unsafe (c))
        append_json_escape (out, c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  g_string_append_c (out, '"');
}

/* Where in @json the first thing to rewrite is; its length if none. */
static gsize
json_safe_prefix (const char *json,
                  gsize       len)
{
  gsize i = 0;

  while (i < len)
    {
      guchar byte = json[i];
      gunichar c;

      if (byte < 0x80)
        {
          if (byte == 0x7f)
            break;
          i++;
          continue;
        }
      c = get_char (json + i);
      if (c == (gunichar) -1 || netpulse_text_char_is_unsafe (c))
        break;
      i = g_utf8_next_char (json + i) - json;
    }
  return i;
}

void
netpulse_text_harden_json (GString *json)
{
  gsize start;
  GString *out;

  g_assert (json != NULL);

  start = json_safe_prefix (json->str, json->len);
  if (G_LIKELY (start == json->len))
    return;

  out = g_string_sized_new (json->len + 16);
  g_string_append_len (out, json->str, start);
  for (const char *p = json->str + start, *end = json->str + json->len; p < end;)
    {
      gsize run = json_safe_prefix (p, end - p);
      gunichar c;

      g_string_append_len (out, p, run);
      p += run;
      if (p >= end)
        break;
      c = get_char (p);                  /* DEL decodes as itself */
      if (c == (gunichar) -1)
        {
          g_string_append (out, REPLACEMENT_CHARACTER);
          p++;
          continue;
        }
      append_json_escape (out, c);
      p = g_utf8_next_char (p);
    }

  g_string_truncate (json, 0);
  g_string_append_len (json, out->str, out->len);
  g_string_free (out, TRUE);
}

gboolean
netpulse_text_contains (const char *haystack,
                        const char *lower_word)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL || haystack[0] == '\0')
    return FALSE;
  folded = g_utf8_strdown (haystack, -1);
  return strstr (folded, lower_word) != NULL;
}

gboolean
netpulse_text_contains_as_shown (const char *haystack,
                                 const char *lower_word)
{
  g_autofree char *shown = NULL;

  if (netpulse_text_contains (haystack, lower_word))
    return TRUE;
  return netpulse_text_safe (haystack, &shown) != haystack && netpulse_text_contains (shown, lower_word);
}
