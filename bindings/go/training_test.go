package genmodels_test

// Issue 13 in the Go binding: epoch reports, warm start, checkpoints, training progress.

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"genmodels.local/genmodels"
)

func bars4(t *testing.T) genmodels.Data {
	t.Helper()
	data, err := genmodels.LoadDataset("builtin:bars-and-stripes:4", nil) // 30 rows of 16 pixels
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func smallNADE(t *testing.T) *genmodels.Model {
	t.Helper()
	m, err := genmodels.New("nade", map[string]any{"hidden": 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func nadeOptions(epochs int64) *genmodels.FitOptions {
	return &genmodels.FitOptions{Epochs: epochs, BatchSize: 10, Seed: 7, Threads: 1}
}

func TestEpochReports(t *testing.T) {
	data := bars4(t)
	m := smallNADE(t)
	var reports []genmodels.EpochReport
	o := nadeOptions(3)
	o.OnEpoch = func(r genmodels.EpochReport) bool { reports = append(reports, r); return false }
	if err := m.Fit(data, o); err != nil {
		t.Fatal(err)
	}
	var epochs []int64
	for _, r := range reports {
		epochs = append(epochs, r.Epoch)
		if math.IsNaN(r.TrainLoss) || math.IsInf(r.TrainLoss, 0) || r.TrainLoss <= 0 {
			t.Errorf("epoch %d: train loss %v", r.Epoch, r.TrainLoss)
		}
		if !math.IsNaN(r.ValidationLoss) || r.LastEpoch != 3 || r.Stopping {
			t.Errorf("epoch %d: %+v", r.Epoch, r)
		}
	}
	if !reflect.DeepEqual(epochs, []int64{1, 2, 3}) {
		t.Fatalf("epochs %v, want [1 2 3]", epochs)
	}
	done, planned, err := m.TrainingProgress()
	if err != nil || done != 3 || planned != 3 {
		t.Errorf("TrainingProgress = %d, %d, %v; want 3, 3", done, planned, err)
	}

	// true cancels; a panic cancels and comes back out of Fit.
	o = nadeOptions(5)
	o.OnEpoch = func(r genmodels.EpochReport) bool { return r.Epoch >= 2 }
	if err := smallNADE(t).Fit(data, o); !errors.Is(err, genmodels.Cancelled) {
		t.Errorf("stop at epoch 2: %v, want Cancelled", err)
	}
	o.OnEpoch = func(genmodels.EpochReport) bool { panic("stop here") }
	func() {
		defer func() {
			if r := recover(); r != "stop here" {
				t.Errorf("recovered %v, want the callback's panic", r)
			}
		}()
		_ = smallNADE(t).Fit(data, o)
	}()
}

func TestWarmStartOnePlusOneEqualsTwo(t *testing.T) {
	data := bars4(t)
	two := smallNADE(t)
	if err := two.Fit(data, nadeOptions(2)); err != nil {
		t.Fatal(err)
	}
	m := smallNADE(t)
	if err := m.Fit(data, nadeOptions(1)); err != nil {
		t.Fatal(err)
	}
	o := nadeOptions(1)
	o.WarmStart = true
	if err := m.Fit(data, o); err != nil {
		t.Fatal(err)
	}
	want := must(two.LogProb(data, nil))
	if got := must(m.LogProb(data, nil)); !reflect.DeepEqual(got, want) {
		t.Errorf("1 + 1 warm-started epochs\n  %v\nwant (2 epochs)\n  %v", got[:4], want[:4])
	}
}

func TestCheckpoints(t *testing.T) {
	data := bars4(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "nade.ckpt")
	three := smallNADE(t)
	if err := three.Fit(data, nadeOptions(3)); err != nil {
		t.Fatal(err)
	}
	o := nadeOptions(2)
	o.CheckpointEvery, o.CheckpointPath = 2, path
	if err := smallNADE(t).Fit(data, o); err != nil {
		t.Fatal(err)
	}
	resumed, err := genmodels.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	if done, _, err := resumed.TrainingProgress(); err != nil || done != 2 {
		t.Fatalf("checkpoint holds %d epochs (%v), want 2", done, err)
	}
	o = nadeOptions(1)
	o.WarmStart = true
	if err := resumed.Fit(data, o); err != nil {
		t.Fatal(err)
	}
	if got, want := must(resumed.LogProb(data, nil)), must(three.LogProb(data, nil)); !reflect.DeepEqual(got, want) {
		t.Errorf("2 epochs, checkpoint, load, 1 more: %v, want (3 epochs) %v", got[:4], want[:4])
	}
	if err := three.SaveCheckpoint(filepath.Join(dir, "three.ckpt")); err != nil {
		t.Error(err)
	}
	if err := smallNADE(t).SaveCheckpoint(filepath.Join(dir, "x.ckpt")); !errors.Is(err, genmodels.NotFitted) {
		t.Errorf("unfitted: %v, want NotFitted", err)
	}
	if err := fitted(t, "markov", nil).SaveCheckpoint(filepath.Join(dir, "x.ckpt")); !errors.Is(err, genmodels.Unsupported) {
		t.Errorf("markov: %v, want Unsupported", err)
	}
}
