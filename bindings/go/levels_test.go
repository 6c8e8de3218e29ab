package genmodels_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"genmodels.local/genmodels"
)

// M-level pixels through the Go package (docs/levels.md): Data.Levels,
// DatasetOptions.Levels, Model.Levels, and the errors.
func TestLevelsCategorical(t *testing.T) {
	caps, err := genmodels.KindCapabilities("categorical")
	if err != nil || !caps.Has(genmodels.CapLevels) {
		t.Fatalf("categorical capabilities %v, %v", caps, err)
	}
	m, err := genmodels.New("categorical", map[string]any{"alpha": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if l, err := m.Levels(); err != nil || l != 2 {
		t.Fatalf("levels before fit: %d, %v", l, err)
	}
	x := make([]float32, 64*4)
	s := uint32(12345)
	for i := range x {
		s = s*1103515245 + 12345
		x[i] = float32((s >> 16) % 4)
	}
	if err := m.Fit(genmodels.Data{X: x, D: 4, Channels: 1, Height: 2, Width: 2, Levels: 4}, nil); err != nil {
		t.Fatal(err)
	}
	if l, _ := m.Levels(); l != 4 {
		t.Fatalf("levels after fit: %d", l)
	}
	all := make([]float32, 0, 256*4)
	for k := 0; k < 256; k++ {
		for j := 0; j < 4; j++ {
			all = append(all, float32((k>>(2*j))&3))
		}
	}
	lp, err := m.LogProb(genmodels.Data{X: all, D: 4, Levels: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, v := range lp {
		total += math.Exp(v)
	}
	if math.Abs(total-1) > 1e-9 {
		t.Fatalf("sum of exp(log_prob) = %v", total)
	}
	_, err = m.LogProb(genmodels.Data{X: all, D: 4, Levels: 5}, nil)
	if !errors.Is(err, genmodels.InvalidData) || !strings.Contains(err.Error(), "the data has 5 levels") {
		t.Fatalf("levels 5: %v", err)
	}
}

func TestLevelsDataset(t *testing.T) {
	data, err := genmodels.LoadDataset("builtin:bars-and-stripes:3", &genmodels.DatasetOptions{Levels: 4})
	if err != nil {
		t.Fatal(err)
	}
	if data.Levels != 4 {
		t.Fatalf("data.Levels = %d", data.Levels)
	}
	for _, v := range data.X {
		if v != 0 && v != 3 {
			t.Fatalf("value %v is not a level of 0/1 data quantised to 4", v)
		}
	}
	b, _ := genmodels.New("bernoulli", nil)
	defer b.Close()
	if err := b.Fit(data, nil); !errors.Is(err, genmodels.InvalidData) {
		t.Fatalf("bernoulli on 4 levels: %v", err)
	}
	if _, err := genmodels.LoadDataset("builtin:bars-and-stripes:3", &genmodels.DatasetOptions{Levels: 300}); !errors.Is(err, genmodels.InvalidArgument) {
		t.Fatalf("levels 300: %v", err)
	}
}

func TestLevelsPixelCNN(t *testing.T) {
	m, err := genmodels.New("pixelcnn", map[string]any{"channels": 4, "layers": 1, "first_kernel": 3})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	x := make([]float32, 64*4)
	s := uint32(777)
	for i := range x {
		s = s*1103515245 + 12345
		x[i] = float32((s >> 16) % 4)
	}
	if err := m.Fit(genmodels.Data{X: x, D: 4, Channels: 1, Height: 2, Width: 2, Levels: 4},
		&genmodels.FitOptions{Epochs: 3, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	all := make([]float32, 0, 256*4)
	for k := 0; k < 256; k++ {
		for j := 0; j < 4; j++ {
			all = append(all, float32((k>>(2*j))&3))
		}
	}
	lp, err := m.LogProb(genmodels.Data{X: all, D: 4, Channels: 1, Height: 2, Width: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, v := range lp {
		total += math.Exp(v)
	}
	if math.Abs(total-1) > 1e-5 {
		t.Fatalf("sum of exp(log_prob) = %v", total)
	}
}
