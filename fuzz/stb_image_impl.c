/* The stb_image decoder compiled into the image harness, so libFuzzer sees its coverage and
 * ASan its memory accesses: Debian's libstb.so is built without either. It is the same
 * source (libstb-dev's stb_image.h); the executable's definitions take precedence over the
 * shared library's. fuzz/meson.build leaves it out once lib/ compiles stb_image itself. */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
