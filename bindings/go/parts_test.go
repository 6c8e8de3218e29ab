package genmodels_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"genmodels.local/genmodels"
)

// squares: 12 grey 8×8 images, a bright 3×3 square on a dark background placed by the row.
func squares() []float32 {
	x := make([]float32, 12*64)
	for i := range x {
		x[i] = 0.1
	}
	for r := 0; r < 12; r++ {
		for i := r % 5; i < r%5+3; i++ {
			for j := (r * 3) % 5; j < (r*3)%5+3; j++ {
				x[r*64+i*8+j] = 0.9
			}
		}
	}
	return x
}

// Model.CompleteFromParts (gm_model_complete_from_parts) on a tiny fitted puzzlegan, and the
// caller's errors.
func TestCompleteFromParts(t *testing.T) {
	caps, err := genmodels.KindCapabilities("puzzlegan")
	if err != nil || !caps.Has(genmodels.CapCompleteFromParts) {
		t.Fatalf("puzzlegan capabilities %v, %v", caps, err)
	}
	x := squares()
	m, err := genmodels.New("puzzlegan", map[string]any{"parts": 2, "patch_size": 4, "nef": 2, "ngf": 2, "ndf": 2, "noise": 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	train := genmodels.Data{X: x, D: 64, Channels: 1, Height: 8, Width: 8}
	if err := m.Fit(train, &genmodels.FitOptions{Epochs: 1, BatchSize: 6, Threads: 1, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// Images 0..2, patches at (0, 0) and (4, 3).
	var patches []float32
	var positions []genmodels.Position
	for r := 0; r < 3; r++ {
		for _, at := range []genmodels.Position{{Top: 0, Left: 0}, {Top: 4, Left: 3}} {
			positions = append(positions, at)
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					patches = append(patches, x[r*64+(int(at.Top)+i)*8+int(at.Left)+j])
				}
			}
		}
	}
	parts := genmodels.Data{X: patches, D: 16, Channels: 1, Height: 4, Width: 4}
	out, err := m.CompleteFromParts(parts, positions, 2, &genmodels.SampleOptions{Seed: 5})
	if err != nil || len(out) != 3*64 {
		t.Fatalf("%d values, %v", len(out), err)
	}
	for i, v := range out {
		if v < 0 || v > 1 {
			t.Fatalf("value %d = %v outside [0, 1]", i, v)
		}
	}
	again, err := m.CompleteFromParts(parts, positions, 2, &genmodels.SampleOptions{Seed: 5, Threads: 2})
	if err != nil || !reflect.DeepEqual(again, out) {
		t.Fatalf("two threads differ: %v", err)
	}
	outside := append([]genmodels.Position(nil), positions...)
	outside[1].Left = 5
	for name, call := range map[string]func() error{
		"5 positions": func() error { _, e := m.CompleteFromParts(parts, positions[:5], 2, nil); return e },
		"k = 0":       func() error { _, e := m.CompleteFromParts(parts, positions, 0, nil); return e },
		"k = 4":       func() error { _, e := m.CompleteFromParts(parts, positions, 4, nil); return e },
		"outside":     func() error { _, e := m.CompleteFromParts(parts, outside, 2, nil); return e },
	} {
		if err := call(); !errors.Is(err, genmodels.InvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	small := genmodels.Data{X: patches[:24], D: 4, Channels: 1, Height: 2, Width: 2}
	if _, err := m.CompleteFromParts(small, positions, 2, nil); !errors.Is(err, genmodels.InvalidData) {
		t.Errorf("2×2 patches: %v", err)
	}
}

// SampleOptions.Stage on a tiny progan grown through its three stages (4, 8, 16).
func TestSampleStage(t *testing.T) {
	x := make([]float32, 16*256)
	for i := range x {
		x[i] = float32((uint64(i)*2654435761)%1000) / 1000
	}
	m, err := genmodels.New("progan", map[string]any{"latent": 8, "fmap_base": 16, "fmap_max": 8,
		"fade_images": 8, "stable_images": 8, "mbstd_group": 4})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	train := genmodels.Data{X: x, D: 256, Channels: 1, Height: 16, Width: 16}
	if err := m.Fit(train, &genmodels.FitOptions{Epochs: 3, BatchSize: 8, Threads: 1, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	at := func(stage int) ([]float32, error) {
		return m.Sample(2, &genmodels.SampleOptions{Seed: 11, Stage: stage})
	}
	low, err := at(1) // 4×4, upsampled (nearest) to 16×16: constant on 4×4 cells
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 2; r++ {
		for i := 0; i < 16; i++ {
			for j := 0; j < 16; j++ {
				if low[r*256+i*16+j] != low[r*256+(i/4*4)*16+j/4*4] {
					t.Fatalf("stage 1 image %d not constant on 4×4 cells at (%d, %d)", r, i, j)
				}
			}
		}
	}
	top, err := at(3)
	current, err2 := at(0)
	if err != nil || err2 != nil || !reflect.DeepEqual(top, current) || reflect.DeepEqual(top, low) {
		t.Fatalf("stage 3 vs 0 vs 1: %v, %v", err, err2)
	}
	if _, err := at(4); !errors.Is(err, genmodels.InvalidArgument) {
		t.Errorf("stage 4 of 3: %v", err)
	}
}

// SampleOptions.Truncation on a tiny gan; bernoulli (no Gaussian latent) takes only 0.
func TestSampleTruncation(t *testing.T) {
	x := make([]float32, 20*9)
	for i := range x {
		if (uint64(i)*2654435761)%1000 >= 500 {
			x[i] = 1
		}
	}
	m, err := genmodels.New("gan", map[string]any{"latent": 2, "g_hidden": []int{8}, "d_hidden": []int{8}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Fit(genmodels.Data{X: x, D: 9}, &genmodels.FitOptions{Epochs: 2, BatchSize: 10, Threads: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	at := func(truncation float64) ([]float32, error) {
		return m.Sample(8, &genmodels.SampleOptions{Seed: 7, Truncation: truncation})
	}
	out, err := at(0.5)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("value %d is %v", i, v)
		}
	}
	again, err := at(0.5)
	full, err2 := at(0)
	if err != nil || err2 != nil || !reflect.DeepEqual(again, out) || reflect.DeepEqual(full, out) {
		t.Fatalf("truncation 0.5 twice vs 0: %v, %v", err, err2)
	}
	if _, err := at(-1); !errors.Is(err, genmodels.InvalidArgument) {
		t.Errorf("truncation -1: %v", err)
	}
	b, err := genmodels.New("bernoulli", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Fit(genmodels.Data{X: x, D: 9}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sample(1, &genmodels.SampleOptions{Truncation: 1}); !errors.Is(err, genmodels.InvalidArgument) {
		t.Errorf("bernoulli, truncation 1: %v", err)
	}
}
