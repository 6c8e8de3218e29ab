//go:build !genmodels_shared

package genmodels

// The default: libgenmodels.a and the libraries it needs (genmodels-static.pc).

// #cgo pkg-config: genmodels-static
import "C"
