//go:build genmodels_shared

package genmodels

// With -tags genmodels_shared: libgenmodels.so (genmodels.pc, which carries an rpath
// unless genmodels is installed under /usr).

// #cgo pkg-config: genmodels
import "C"
