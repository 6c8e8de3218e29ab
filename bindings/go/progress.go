package genmodels

/*
#include <stdint.h>
#include <genmodels/genmodels.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// fitContext travels to the C progress and epoch callbacks through a cgo.Handle.
type fitContext struct {
	progress  func(step, total int64, loss float64) bool
	onEpoch   func(report EpochReport) bool
	panicked  bool
	panicWith any
}

//export goGenmodelsProgress
func goGenmodelsProgress(step, total C.int64_t, loss C.double, user unsafe.Pointer) C.int32_t {
	ctx := cgo.Handle(uintptr(user)).Value().(*fitContext)
	return ctx.guard(func() bool { return ctx.progress(int64(step), int64(total), float64(loss)) })
}

//export goGenmodelsEpoch
func goGenmodelsEpoch(report *C.gm_epoch_report, user unsafe.Pointer) C.int32_t {
	ctx := cgo.Handle(uintptr(user)).Value().(*fitContext)
	r := EpochReport{
		Epoch: int64(report.epoch), LastEpoch: int64(report.last_epoch), TrainLoss: float64(report.train_loss),
		ValidationLoss: float64(report.validation_loss), BestEpoch: int64(report.best_epoch),
		DiscriminatorLoss: float64(report.discriminator_loss), GeneratorLoss: float64(report.generator_loss),
		ImagesPerSecond: float64(report.images_per_second), EpochSeconds: float64(report.epoch_seconds),
		ElapsedSeconds: float64(report.elapsed_seconds), ETASeconds: float64(report.eta_seconds),
		Stopping: report.stopping != 0,
	}
	return ctx.guard(func() bool { return ctx.onEpoch(r) })
}

// guard runs a callback: 1 (cancel) when it asks to stop or panics. A panic must not unwind
// through C frames: it is kept, fit is cancelled, and Fit re-panics with it.
func (ctx *fitContext) guard(callback func() bool) C.int32_t {
	stop := true
	func() {
		defer func() {
			if r := recover(); r != nil {
				ctx.panicked, ctx.panicWith = true, r
			}
		}()
		stop = callback()
	}()
	if stop {
		return 1
	}
	return 0
}
