// Per-call overhead of the Go binding's LogProb versus the direct C call (timed in C by
// direct.h) in one process. Prints "go <direct ns> <binding ns>".
package main

/*
#cgo pkg-config: --static genmodels
#cgo CFLAGS: -I${SRCDIR}/..
#include "direct.h"
*/
import "C"

import (
	"fmt"
	"sort"
	"time"
	"unsafe"

	"genmodels.local/genmodels"
)

const d = 784

// fastest is the per-call cost of the round with the least interference.
func fastest(v []float64) float64 {
	sort.Float64s(v)
	return v[0]
}

func main() {
	train := make([]float32, 200*d)
	for i := 0; i < 200; i++ {
		for j := 0; j < d; j++ {
			train[i*d+j] = float32(C.gmb_value(C.int64_t(i), C.int64_t(j)))
		}
	}
	m, err := genmodels.New("bernoulli", nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	if err := m.Fit(genmodels.Rows(train, d), nil); err != nil {
		panic(err)
	}
	one := genmodels.Rows(train[:d], d)
	opts := &genmodels.EvalOptions{Threads: 1}
	const calls = 1000
	direct := func() float64 {
		return float64(C.gmb_direct_log_prob_ns((*C.gm_model)(m.Handle()), (*C.float)(unsafe.Pointer(&train[0])), d, calls))
	}
	binding := func() float64 {
		t0 := time.Now()
		for i := 0; i < calls; i++ {
			if _, err := m.LogProb(one, opts); err != nil {
				panic(err)
			}
		}
		return float64(time.Since(t0).Nanoseconds()) / calls
	}
	// The direct call made through cgo, one call per transition: the cgo share of the overhead.
	viaCgo := func() float64 {
		t0 := time.Now()
		for i := 0; i < calls; i++ {
			C.gmb_direct_log_prob_ns((*C.gm_model)(m.Handle()), (*C.float)(unsafe.Pointer(&train[0])), d, 1)
		}
		return float64(time.Since(t0).Nanoseconds()) / calls
	}
	direct()
	binding()
	var dv, bv, cv []float64
	for r := 0; r < 101; r++ {
		dv = append(dv, direct())
		bv = append(bv, binding())
		cv = append(cv, viaCgo())
	}
	fmt.Printf("go %.1f %.1f %.1f\n", fastest(dv), fastest(bv), fastest(cv))
}
