/* netpulse-text.h — text from outside, made safe to show or to write.
 *
 * Any process chooses its own name (prctl(PR_SET_NAME), /proc/self/comm):
 * "\e]0;PWNED\a" sets a terminal's title, "\e[2J" clears it, "ab\nFAKE\n…"
 * forges a table row, U+202E turns "gpj.exe" around.  User names from NSS,
 * host names from reverse DNS and error messages are no better.  Everything
 * of that kind passes through here on its way to a person (terminal, cells,
 * tooltips) or a file (JSON, CSV).
 *
 * Unsafe codepoints (netpulse_text_char_is_unsafe()): C0 controls, DEL,
 * C1 controls (U+0080–U+009F), every Unicode format character (category
 * Cf: the bidi controls U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069, the zero-width characters U+200B–U+200D, U+2060, U+FEFF,
 * the soft hyphen, the tag characters…), the line and paragraph separators
 * U+2028 and U+2029, and the Hangul fillers that show as nothing.
 *
 * Shown escaped, in ASCII: "\a \b \t \n \v \f \r \e" for those C0 controls,
 * "\xHH" for the other C0 controls, DEL and for a byte that is not UTF-8,
 * "\u{H…}" for an unsafe codepoint from U+0080 on ("\u{9b}", "\u{202e}").
 * A backslash stays as it is: a name can look like an escape, but then it
 * is only ASCII, and nothing is hidden.  Everything else, valid UTF-8 in
 * any script, is left byte for byte.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean    netpulse_text_char_is_unsafe     (gunichar     c);
/* Whether @text shows as it is (valid UTF-8, no unsafe codepoint). */
gboolean    netpulse_text_is_safe            (const char  *text);

/* @text itself when it is safe (no allocation: the common case, and this
 * runs for every cell), otherwise its escaped form, also stored in @owned
 * for the caller to free:
 *
 *   g_autofree char *owned = NULL;
 *   gtk_label_set_text (label, netpulse_text_safe (name, &owned));
 *
 * NULL stays NULL. */
const char *netpulse_text_safe               (const char  *text,
                                              char       **owned);
/* The same, always a new string ("" for NULL). */
char       *netpulse_text_dup_safe           (const char  *text);
void        netpulse_text_append_safe        (GString     *out,
                                              const char  *text);

/* A JSON string literal of @text (quotes included) that is both valid
 * RFC 8259 and safe to print: '"' and '\' escaped, C0, DEL and every other
 * unsafe codepoint as "\uXXXX" (a surrogate pair above U+FFFF), so that a
 * reader gets the exact name back; a byte that is not UTF-8 becomes
 * U+FFFD. */
void        netpulse_text_append_json_string (GString     *out,
                                              const char  *text);
/* Makes JSON written by another generator (json-glib escapes C0 only)
 * safe to print, in place: each raw DEL or unsafe codepoint from U+0080 on
 * becomes "\uXXXX", a byte that is not UTF-8 U+FFFD.  In JSON these can
 * only be inside strings, where the escape stands for the same character:
 * the document keeps its meaning.  C0 is left alone: outside strings it is
 * the generator's own whitespace (newlines, indentation), inside it is
 * escaped already. */
void        netpulse_text_harden_json        (GString     *json);

/* Whether @haystack contains @lower_word (already lower case), ignoring
 * case: the search of netpulsectl and the app.  FALSE for NULL or "".
 * _as_shown() also finds what the screen shows of a name with control
 * characters, escaped ("\e]0;x\a"), so that what is typed from it
 * matches. */
gboolean    netpulse_text_contains           (const char  *haystack,
                                              const char  *lower_word);
gboolean    netpulse_text_contains_as_shown  (const char  *haystack,
                                              const char  *lower_word);

G_END_DECLS
