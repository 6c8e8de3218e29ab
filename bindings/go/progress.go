package genmodels

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// fitContext travels to the C progress callback through a cgo.Handle.
type fitContext struct {
	progress  func(step, total int64, loss float64) bool
	panicked  bool
	panicWith any
}

//export goGenmodelsProgress
func goGenmodelsProgress(step, total C.int64_t, loss C.double, user unsafe.Pointer) C.int32_t {
	ctx := cgo.Handle(uintptr(user)).Value().(*fitContext)
	stop := true
	func() {
		// A panic must not unwind through C frames: keep it, cancel fit, re-panic in Fit.
		defer func() {
			if r := recover(); r != nil {
				ctx.panicked, ctx.panicWith = true, r
			}
		}()
		stop = ctx.progress(int64(step), int64(total), float64(loss))
	}()
	if stop {
		return 1
	}
	return 0
}
