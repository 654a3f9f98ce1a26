/* test-text.c — text from outside made safe to show (common/netpulse-text.h):
 * every class of unsafe codepoint escaped exactly, valid names left byte for
 * byte (and without an allocation), JSON that stays valid, exact and safe.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "netpulse-text.h"

/* The codepoints the issue names, written out rather than taken from the
 * code under test: C0, DEL, C1, the bidi controls, the invisible ones. */
static gboolean
listed_unsafe (gunichar c)
{
  static const gunichar others[] = {
    0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,   /* bidi */
    0x2066, 0x2067, 0x2068, 0x2069,
    0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0x180e,           /* invisible */
    0x2028, 0x2029,                                                   /* separators */
    0xe0001, 0xe0041, 0xe007f,                                        /* tags */
    0x3164, 0x115f, 0x1160, 0xffa0,                                   /* fillers */
  };

  if (c < 0x20 || (c >= 0x7f && c < 0xa0))
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    if (others[i] == c)
      return TRUE;
  return FALSE;
}

/* Whether @text holds a byte or codepoint no terminal should get raw. */
static gboolean
has_raw_unsafe (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2 || listed_unsafe (c))
        return TRUE;
    }
  return FALSE;
}

static void
check_escape (const char *in,
              const char *expected)
{
  g_autofree char *owned = NULL;
  const char *out = netpulse_text_safe (in, &owned);
  g_autoptr(GString) appended = g_string_new ("x");

  g_assert_cmpstr (out, ==, expected);
  g_assert_nonnull (owned);
  g_assert_false (netpulse_text_is_safe (in));
  g_assert_true (netpulse_text_is_safe (out));
  g_assert_false (has_raw_unsafe (out));

  netpulse_text_append_safe (appended, in);
  g_assert_cmpstr (appended->str + 1, ==, expected);
}

static void
test_hostile_names (void)
{
  /* The names of the issue. */
  check_escape ("\033]0;PWNED\a", "\\e]0;PWNED\\a");
  check_escape ("\033[2J\033[31m…", "\\e[2J\\e[31m…");
  check_escape ("ab\nFAKE\n1.2.3.4", "ab\\nFAKE\\n1.2.3.4");
  check_escape ("ok\b\b\bno\x7f", "ok\\b\\b\\bno\\x7f");
  check_escape ("c1\xc2\x9b" "2J", "c1\\u{9b}2J");
  check_escape ("\r\t\v\f\x01\x1f", "\\r\\t\\v\\f\\x01\\x1f");
}

static void
test_classes (void)
{
  /* Bidi controls: "gpj.exe" shown backwards as "exe.jpg". */
  check_escape ("np\u202egpj.exe", "np\\u{202e}gpj.exe");
  check_escape ("\u061c\u200e\u200f", "\\u{61c}\\u{200e}\\u{200f}");
  check_escape ("\u202a\u202b\u202c\u202d", "\\u{202a}\\u{202b}\\u{202c}\\u{202d}");
  check_escape ("\u2066a\u2067b\u2068c\u2069", "\\u{2066}a\\u{2067}b\\u{2068}c\\u{2069}");
  /* Invisible: zero-width space and joiners, word joiner, BOM, soft hyphen. */
  check_escape ("fire\u200bfox", "fire\\u{200b}fox");
  check_escape ("\u200c\u200d\u2060\ufeff\u00ad", "\\u{200c}\\u{200d}\\u{2060}\\u{feff}\\u{ad}");
  /* Line and paragraph separators break a line in Pango. */
  check_escape ("a\u2028b\u2029c", "a\\u{2028}b\\u{2029}c");
  /* Tag characters hide ASCII; a Hangul filler looks like nothing. */
  check_escape ("x\U000E0041\U000E007F", "x\\u{e0041}\\u{e007f}");
  check_escape ("\u3164", "\\u{3164}");
  /* Bytes that are not UTF-8 (upstream repairs them, but not every
   * caller is downstream of that): the byte, unlike a codepoint. */
  check_escape ("bad\xff\xfe", "bad\\xff\\xfe");
  check_escape ("\x9b" "31m", "\\x9b31m");
  check_escape ("cut\xc3", "cut\\xc3");
}

static void
test_valid_names_unchanged (void)
{
  const char *names[] = {
    "", "curl", "firefox-esr", "Web Content", "kworker/0:1", "(sd-pam)", "-bash",
    "a\\b", "100% ~ {x}", "résumé", "Ωmega", "日本語", "مرحبا", "שלום", "नमस्ते",
    "🦊fox", "\u00a0nbsp", "e\u0301", "\ufffd",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *owned = (char *) 0x1;
      g_autofree char *dup = netpulse_text_dup_safe (names[i]);
      g_autoptr(GString) appended = g_string_new (NULL);

      /* The same pointer back, nothing allocated. */
      g_assert_true (netpulse_text_safe (names[i], &owned) == names[i]);
      g_assert_null (owned);
      g_assert_true (netpulse_text_is_safe (names[i]));
      g_assert_cmpstr (dup, ==, names[i]);
      netpulse_text_append_safe (appended, names[i]);
      g_assert_cmpmem (appended->str, appended->len, names[i], strlen (names[i]));
    }

  {
    char *owned = (char *) 0x1;
    g_autofree char *empty = netpulse_text_dup_safe (NULL);

    g_assert_null (netpulse_text_safe (NULL, &owned));
    g_assert_null (owned);
    g_assert_cmpstr (empty, ==, "");
  }
}

/* Every codepoint from U+0001 to U+009F in one string: the printable ASCII
 * ones stay in place, all others are escaped, and the result is plain
 * printable ASCII. */
static void
test_all_low_codepoints (void)
{
  g_autoptr(GString) in = g_string_new (NULL);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *out = NULL;
  static const char * const named[0x20] = {
    [7] = "\\a", [8] = "\\b", [9] = "\\t", [10] = "\\n",
    [11] = "\\v", [12] = "\\f", [13] = "\\r", [27] = "\\e",
  };

  for (gunichar c = 0x01; c <= 0x9f; c++)
    {
      g_string_append_unichar (in, c);
      if (c >= 0x20 && c < 0x7f)
        g_string_append_c (expected, c);
      else if (c < 0x20 && named[c] != NULL)
        g_string_append (expected, named[c]);
      else if (c < 0x80)
        g_string_append_printf (expected, "\\x%02x", c);
      else
        g_string_append_printf (expected, "\\u{%x}", c);
    }

  out = netpulse_text_dup_safe (in->str);
  g_assert_cmpstr (out, ==, expected->str);
  for (const char *p = out; *p != '\0'; p++)
    g_assert_true (*p >= 0x20 && *p < 0x7f);
}

/* Over all of Unicode: what the issue lists is escaped to printable ASCII,
 * and any other codepoint that is not a format character or a separator
 * is kept as it is. */
static void
test_every_codepoint (void)
{
  for (gunichar c = 1; c <= 0x10ffff; c++)
    {
      char buf[8] = { 0 };
      g_autofree char *owned = NULL;
      const char *out;

      if (c >= 0xd800 && c < 0xe000)
        continue;                      /* no UTF-8 for surrogates */
      g_unichar_to_utf8 (c, buf);
      out = netpulse_text_safe (buf, &owned);

      if (listed_unsafe (c))
        g_assert_true (netpulse_text_char_is_unsafe (c));

      if (netpulse_text_char_is_unsafe (c))
        {
          g_assert_nonnull (owned);
          g_assert_true (out[0] == '\\');
          for (const char *p = out; *p != '\0'; p++)
            g_assert_true (*p >= 0x20 && *p < 0x7f);
        }
      else
        {
          GUnicodeType type = g_unichar_type (c);

          g_assert_true (out == buf);
          g_assert_true (type != G_UNICODE_FORMAT && type != G_UNICODE_CONTROL &&
                         type != G_UNICODE_LINE_SEPARATOR && type != G_UNICODE_PARAGRAPH_SEPARATOR);
        }
    }
}

static char *
json_parse_string (const char *literal)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *document = g_strdup_printf ("[%s]", literal);
  JsonArray *array;

  g_assert_true (json_parser_load_from_data (parser, document, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  return g_strdup (json_array_get_string_element (array, 0));
}

static void
test_json_string (void)
{
  g_autoptr(GString) in = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *back = NULL;

  for (gunichar c = 0x01; c <= 0x9f; c++)
    g_string_append_unichar (in, c);
  g_string_append (in, "\u061c\u200e\u200f\u202a\u202e\u2066\u2069\u200b\u2028\u2029\U000E0041é日");

  netpulse_text_append_json_string (out, in->str);
  g_assert_false (has_raw_unsafe (out->str));
  /* Exact escapes: C0 and DEL, C1, bidi, a surrogate pair for a tag. */
  g_assert_nonnull (strstr (out->str, "\\u001b"));
  g_assert_nonnull (strstr (out->str, "\\u007f"));
  g_assert_nonnull (strstr (out->str, "\\u009b"));
  g_assert_nonnull (strstr (out->str, "\\u202e"));
  g_assert_nonnull (strstr (out->str, "\\udb40\\udc41"));
  g_assert_nonnull (strstr (out->str, "\\\"") );
  g_assert_nonnull (strstr (out->str, "\\\\"));
  g_assert_nonnull (strstr (out->str, "é日\""));

  /* A JSON reader gets every character back. */
  back = json_parse_string (out->str);
  g_assert_cmpstr (back, ==, in->str);

  /* Not UTF-8: each bad byte becomes U+FFFD, the good ones stay. */
  g_string_truncate (out, 0);
  netpulse_text_append_json_string (out, "ab\xff\xfe" "c");
  g_assert_cmpstr (out->str, ==, "\"ab\ufffd\ufffdc\"");
}

static void
test_harden_json (void)
{
  const char *hostile[] = {
    "\033]0;PWNED\a", "ab\nFAKE\n1.2.3.4", "no\x7f", "c1\xc2\x9b" "2J", "np\u202egpj.exe",
    "a\u2028b", "x\U000E0041", "plain",
  };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GString) clean = g_string_new ("{\n  \"a\" : \"é\\u0001\"\n}\n");
  JsonArray *array;

  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    json_builder_add_string_value (builder, hostile[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_to_gstring (generator, json);

  /* json-glib alone passes DEL, C1 and bidi controls raw. */
  netpulse_text_harden_json (json);
  for (const char *p = json->str; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      g_assert_true (c == '\n' || !listed_unsafe (c));
    }
  g_assert_nonnull (strstr (json->str, "\\u007f"));
  g_assert_nonnull (strstr (json->str, "\\u009b"));
  g_assert_nonnull (strstr (json->str, "\\u202e"));
  g_assert_nonnull (strstr (json->str, "\\u2028"));
  g_assert_nonnull (strstr (json->str, "\\udb40\\udc41"));

  /* Same document. */
  g_assert_true (json_parser_load_from_data (parser, json->str, -1, NULL));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (hostile));
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    g_assert_cmpstr (json_array_get_string_element (array, i), ==, hostile[i]);

  /* A clean document, its whitespace included, is left alone. */
  netpulse_text_harden_json (clean);
  g_assert_cmpstr (clean->str, ==, "{\n  \"a\" : \"é\\u0001\"\n}\n");
}

/* The search of netpulsectl and the app (one implementation for both). */
static void
test_contains (void)
{
  g_assert_true (netpulse_text_contains ("Firefox", "fox"));
  g_assert_true (netpulse_text_contains ("ÉCOLE", "éc"));
  g_assert_false (netpulse_text_contains ("firefox", "chrome"));
  g_assert_false (netpulse_text_contains ("", ""));
  g_assert_false (netpulse_text_contains (NULL, "x"));

  /* A name with an escape sequence: found by its own text and by what the
   * screen shows of it, not by the raw control character typed. */
  g_assert_true (netpulse_text_contains_as_shown ("\033]0;PWNED\a", "pwned"));
  g_assert_true (netpulse_text_contains_as_shown ("\033]0;PWNED\a", "\\e]0;"));
  g_assert_false (netpulse_text_contains ("\033]0;PWNED\a", "\\e]0;"));
  g_assert_false (netpulse_text_contains_as_shown ("curl", "\\e"));
  g_assert_false (netpulse_text_contains_as_shown (NULL, "x"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/text/hostile-names", test_hostile_names);
  g_test_add_func ("/text/classes", test_classes);
  g_test_add_func ("/text/valid-names-unchanged", test_valid_names_unchanged);
  g_test_add_func ("/text/all-low-codepoints", test_all_low_codepoints);
  g_test_add_func ("/text/every-codepoint", test_every_codepoint);
  g_test_add_func ("/text/json-string", test_json_string);
  g_test_add_func ("/text/harden-json", test_harden_json);
  g_test_add_func ("/text/contains", test_contains);

  return g_test_run ();
}
