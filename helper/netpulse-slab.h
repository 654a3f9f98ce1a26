/* netpulse-slab.h — objects of one size, many of them, in huge pages.
 *
 * The flow table holds one entry (~1.1 KiB) per connection: 100,000 at a
 * busy server, all taken in at the first tick.  From g_malloc() that is
 * ~27,000 fresh 4 KiB pages; from here ~55 huge pages
 * (netpulse-huge-pages.h).  A chunk whose objects are all freed is given
 * back, so a burst of connections does not keep its memory.
 *
 * Under AddressSanitizer every object is its own g_malloc0(): the
 * sanitizer then sees a use after free as it would without the slab.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Defined in a build with AddressSanitizer: objects are g_malloc0()'s. */
#if defined(__SANITIZE_ADDRESS__)
# define NETPULSE_SLAB_USES_MALLOC 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define NETPULSE_SLAB_USES_MALLOC 1
# endif
#endif

typedef struct _NetpulseSlab NetpulseSlab;

NetpulseSlab *netpulse_slab_new        (gsize         object_size);
/* Frees every chunk: objects not freed yet are gone with them. */
void          netpulse_slab_free       (NetpulseSlab *self);
/* A zeroed object, aligned to 16 bytes. */
gpointer      netpulse_slab_alloc0     (NetpulseSlab *self);
void          netpulse_slab_release    (NetpulseSlab *self,
                                        gpointer      object);
/* Objects allocated and not released. */
gsize         netpulse_slab_get_n_live (NetpulseSlab *self);
/* Chunks (of NETPULSE_HUGE_PAGE_SIZE) mapped. */
guint         netpulse_slab_get_n_chunks (NetpulseSlab *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NetpulseSlab, netpulse_slab_free)

G_END_DECLS
