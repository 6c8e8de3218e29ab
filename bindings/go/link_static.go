//go:build !genmodels_shared

package genmodels

// The default: libgenmodels.a and the libraries it needs (genmodels-static.pc's Libs: oneDNN,
// stb, libjpeg-turbo, zlib, fmt, OpenMP and the C++ runtime; capi/meson.build's pc_private).

// #cgo pkg-config: genmodels-static
import "C"
