package genmodels_test

import (
	"errors"
	"strings"
	"testing"

	"genmodels.local/genmodels"
)

// Model.Translate and Model.Domains (gm_model_translate) on a fitted cyclegan: by name, index
// and row; an unknown domain.
func TestTranslateCycleGAN(t *testing.T) {
	x := make([]float32, 16*64)
	labels := make([]int32, 16)
	for i := range x {
		x[i] = float32((i*37)%11) / 22
		if (i/64)%2 == 1 {
			x[i] += 0.5 // domain b: brighter
		}
	}
	for r := range labels {
		labels[r] = int32(r % 2)
	}
	m, err := genmodels.New("cyclegan", map[string]any{"ngf": 2, "ndf": 2, "n_res": 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	train := genmodels.Data{X: x, D: 64, Channels: 1, Height: 8, Width: 8, Labels: labels, NumClasses: 2}
	if err := m.Fit(train, &genmodels.FitOptions{Epochs: 1, BatchSize: 8, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if names, err := m.Domains(); err != nil || len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("domains %v, %v", names, err)
	}
	rows := genmodels.Data{X: x, D: 64, Channels: 1, Height: 8, Width: 8}
	toB, err := m.Translate(rows, genmodels.Domain{Name: "b"}, nil)
	if err != nil || len(toB) != len(x) {
		t.Fatalf("translate to b: %d values, %v", len(toB), err)
	}
	toA, err := m.Translate(rows, genmodels.Domain{Index: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := m.Translate(rows, genmodels.Domain{PerRow: labels}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range mixed {
		want := toA[i]
		if (i/64)%2 == 1 {
			want = toB[i]
		}
		if mixed[i] != want || want < 0 || want > 1 {
			t.Fatalf("value %d: per row %v, per call %v", i, mixed[i], want)
		}
	}
	if _, err := m.Translate(rows, genmodels.Domain{Name: "c"}, nil); !errors.Is(err, genmodels.InvalidArgument) ||
		!strings.Contains(err.Error(), `"a", "b"`) {
		t.Errorf("unknown domain: %v", err)
	}
}

// The errors of a kind that does not translate.
func TestTranslateUnsupported(t *testing.T) {
	caps, err := genmodels.KindCapabilities("nade")
	if err != nil || caps.Has(genmodels.CapTranslate) {
		t.Fatalf("nade capabilities %v, %v", caps, err)
	}
	x := make([]float32, 64)
	for i := range x {
		if (i*7)%3 == 0 {
			x[i] = 1
		}
	}
	m, err := genmodels.New("bernoulli", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	data := genmodels.Data{X: x, D: 16}
	if err := m.Fit(data, nil); err != nil {
		t.Fatal(err)
	}
	for _, to := range []genmodels.Domain{{Name: "b"}, {Index: 1}, {PerRow: make([]int32, 4)}} {
		_, err := m.Translate(data, to, nil)
		if !errors.Is(err, genmodels.Unsupported) || !strings.Contains(err.Error(), "translate") {
			t.Errorf("translate to %+v: %v", to, err)
		}
	}
	if _, err := m.Domains(); !errors.Is(err, genmodels.Unsupported) {
		t.Errorf("domains: %v", err)
	}
	if _, err := m.Translate(data, genmodels.Domain{PerRow: make([]int32, 3)}, nil); !errors.Is(err, genmodels.InvalidArgument) {
		t.Errorf("3 per-row domains for 4 rows: %v", err)
	}
}
