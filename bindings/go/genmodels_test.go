package genmodels_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"genmodels.local/genmodels"
)

// all9 is every 3x3 binary image, row k holding the bits of k.
func all9() []float32 {
	x := make([]float32, 0, 512*9)
	for k := 0; k < 512; k++ {
		for j := 0; j < 9; j++ {
			x = append(x, float32((k>>j)&1))
		}
	}
	return x
}

func bars(t *testing.T) genmodels.Data {
	t.Helper()
	data, err := genmodels.LoadDataset("builtin:bars-and-stripes:3", nil)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fitted(t *testing.T, kind string, config map[string]any) *genmodels.Model {
	t.Helper()
	m, err := genmodels.New(kind, config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Fit(bars(t), &genmodels.FitOptions{Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return m
}

// must returns v or panics (failing the test with a stack trace).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestLibrary(t *testing.T) {
	if err := genmodels.CheckABI(); err != nil {
		t.Fatal(err)
	}
	if len(strings.Split(genmodels.Version(), ".")) != 3 || !strings.HasPrefix(genmodels.BuildInfo(), "{") {
		t.Fatal(genmodels.Version(), genmodels.BuildInfo())
	}
	kinds := must(genmodels.Kinds())
	found := false
	for _, k := range kinds {
		found = found || k.Kind == "markov"
	}
	if !found || !must(genmodels.KindCapabilities("markov")).Has(genmodels.CapComplete) {
		t.Fatal("markov missing or without complete", kinds)
	}
}

func TestFitSampleLogProbComplete(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		config map[string]any
	}{{"bernoulli", nil}, {"markov", map[string]any{"order": 2}}} {
		t.Run(tc.kind, func(t *testing.T) {
			m := fitted(t, tc.kind, tc.config)
			if m.Kind() != tc.kind || !must(m.IsFitted()) {
				t.Fatal("kind or fitted")
			}
			caps := must(m.Capabilities())
			if !caps.Has(genmodels.CapLogProb|genmodels.CapSample) || caps.Has(genmodels.CapEncode) {
				t.Fatalf("capabilities %b", caps)
			}
			if cfg := must(m.Config()); tc.config != nil && cfg["order"] != float64(2) {
				t.Fatal(cfg)
			}
			if s := must(m.DataShape()); s != (genmodels.DataShape{D: 9, Channels: 1, Height: 3, Width: 3}) {
				t.Fatal(s)
			}
			lp := must(m.LogProb(genmodels.Rows(all9(), 9), nil))
			total := 0.0
			for _, v := range lp {
				total += math.Exp(v)
			}
			if len(lp) != 512 || math.Abs(total-1) > 1e-9 {
				t.Fatalf("%d values summing to %v", len(lp), total)
			}
			a := must(m.Sample(100, &genmodels.SampleOptions{Seed: 5}))
			b := must(m.Sample(100, &genmodels.SampleOptions{Seed: 5}))
			c := must(m.Sample(100, &genmodels.SampleOptions{Seed: 6}))
			if len(a) != 900 || !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
				t.Fatal("sample size or seeding")
			}
			for _, v := range a {
				if v != 0 && v != 1 {
					t.Fatal("non-binary sample", v)
				}
			}
			nan := float32(math.NaN())
			partial := []float32{1, 1, 1, nan, nan, nan, nan, nan, nan}
			observed := []bool{true, true, true, false, false, false, false, false, false}
			filled := must(m.Complete(genmodels.Rows(partial, 9), observed, nil))
			if filled[0] != 1 || filled[1] != 1 || filled[2] != 1 {
				t.Fatal(filled)
			}
			for _, v := range filled {
				if v != 0 && v != 1 {
					t.Fatal("non-binary completion", filled)
				}
			}
		})
	}
}

func TestEncodeDecodeUnsupported(t *testing.T) {
	// Their success path gets tested once a kind with a latent space (nade, vae) exists.
	m := fitted(t, "bernoulli", nil)
	x := make([]float32, 9)
	_, err := m.Encode(genmodels.Rows(x, 9), nil)
	var ge *genmodels.Error
	if !errors.As(err, &ge) || ge.Code != genmodels.Unsupported || !strings.Contains(ge.Message, "encode") {
		t.Fatal(err)
	}
	if _, err := m.Decode(genmodels.Rows(x, 9), nil); !errors.Is(err, genmodels.Unsupported) {
		t.Fatal(err)
	}
	if _, err := m.LatentDim(); !errors.Is(err, genmodels.Unsupported) {
		t.Fatal(err)
	}
}

func TestSaveLoad(t *testing.T) {
	m := fitted(t, "markov", map[string]any{"order": 2, "alpha": 0.5})
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	bytes := must(m.MarshalBinary())
	x := genmodels.Rows(all9(), 9)
	for _, other := range []*genmodels.Model{must(genmodels.Load(path)), must(genmodels.LoadBytes(bytes))} {
		if other.Kind() != "markov" || !reflect.DeepEqual(must(other.Config()), must(m.Config())) {
			t.Fatal("kind or config")
		}
		if !reflect.DeepEqual(must(other.LogProb(x, nil)), must(m.LogProb(x, nil))) {
			t.Fatal("log_prob differs")
		}
		opts := &genmodels.SampleOptions{Seed: 9}
		if !reflect.DeepEqual(must(other.Sample(50, opts)), must(m.Sample(50, opts))) {
			t.Fatal("samples differ")
		}
		if !reflect.DeepEqual(must(other.MarshalBinary()), bytes) {
			t.Fatal("bytes differ")
		}
		other.Close()
	}
}

func TestEveryStatusIsAnError(t *testing.T) {
	m := fitted(t, "markov", nil)
	bytes := must(m.MarshalBinary())
	corrupt := filepath.Join(t.TempDir(), "corrupt.safetensors")
	if err := os.WriteFile(corrupt, bytes[:40], 0o644); err != nil {
		t.Fatal(err)
	}
	unfitted := must(genmodels.New("bernoulli", nil))
	defer unfitted.Close()
	drop := func(_ any, err error) error { return err }
	cases := []struct {
		code genmodels.Code
		err  error
	}{
		{genmodels.UnknownKind, drop(genmodels.New("markow", nil))},
		{genmodels.InvalidConfig, drop(genmodels.New("markov", map[string]any{"ordr": 2}))},
		{genmodels.InvalidConfig, drop(genmodels.New("bernoulli", map[string]any{"alpha": -1}))},
		{genmodels.InvalidData, drop(m.LogProb(genmodels.Rows(make([]float32, 16), 8), nil))}, // wrong width
		{genmodels.InvalidData, drop(m.LogProb(genmodels.Rows([]float32{0.5, 0, 0, 0, 0, 0, 0, 0, 0}, 9), nil))},
		{genmodels.InvalidArgument, drop(m.LogProb(genmodels.Rows(make([]float32, 16), 9), nil))}, // not whole rows
		{genmodels.InvalidArgument, drop(m.LogProb(genmodels.Rows(make([]float32, 9), 9), &genmodels.ScoreOptions{Threads: -1}))},
		{genmodels.InvalidArgument, drop(m.Complete(genmodels.Rows(make([]float32, 9), 9), make([]bool, 3), nil))},
		{genmodels.NotFitted, drop(unfitted.Sample(1, nil))},
		{genmodels.Unsupported, drop(m.Encode(genmodels.Rows(make([]float32, 9), 9), nil))},
		{genmodels.IOError, drop(genmodels.Load(filepath.Join(t.TempDir(), "missing")))},
		{genmodels.CorruptFile, drop(genmodels.LoadBytes(bytes[:len(bytes)/2]))},
		{genmodels.CorruptFile, drop(genmodels.Load(corrupt))},
		{genmodels.InvalidArgument, drop(genmodels.LoadDataset("nonsense:spec", nil))},
		{genmodels.Cancelled, must(genmodels.New("markov", nil)).Fit(bars(t), &genmodels.FitOptions{
			Progress: func(int64, int64, float64) bool { return true }})},
	}
	for i, c := range cases {
		var ge *genmodels.Error
		if !errors.As(c.err, &ge) || ge.Code != c.code || ge.Message == "" || !errors.Is(c.err, c.code) {
			t.Errorf("case %d: want %v, got %v", i, c.code, c.err)
		}
	}
	if genmodels.CorruptFile.String() != "GM_CORRUPT_FILE" || genmodels.Code(1234).String() != "GM_UNKNOWN_STATUS" {
		t.Fatal("status names")
	}
	for _, code := range []genmodels.Code{genmodels.BufferTooSmall, genmodels.Diverged, genmodels.OutOfMemory,
		genmodels.VersionMismatch, genmodels.Internal} {
		if !strings.HasPrefix(code.String(), "GM_") || code.String() == "GM_UNKNOWN_STATUS" {
			t.Fatal(code)
		}
	}
}

func TestProgress(t *testing.T) {
	var calls [][3]float64
	m := must(genmodels.New("markov", nil))
	defer m.Close()
	err := m.Fit(bars(t), &genmodels.FitOptions{Progress: func(step, total int64, loss float64) bool {
		calls = append(calls, [3]float64{float64(step), float64(total), loss})
		return false
	}})
	if err != nil || len(calls) != 1 || calls[0][0] != 1 || calls[0][1] != 1 {
		t.Fatal(err, calls)
	}

	fresh := must(genmodels.New("markov", nil))
	defer fresh.Close()
	err = fresh.Fit(bars(t), &genmodels.FitOptions{Progress: func(int64, int64, float64) bool { return true }})
	if !errors.Is(err, genmodels.Cancelled) || must(fresh.IsFitted()) {
		t.Fatal("not cancelled", err)
	}

	func() {
		defer func() {
			if r := recover(); r != "stop here" {
				t.Fatal("panic not re-raised:", r)
			}
		}()
		fresh.Fit(bars(t), &genmodels.FitOptions{Progress: func(int64, int64, float64) bool { panic("stop here") }})
	}()
	if must(fresh.IsFitted()) {
		t.Fatal("a panicking fit committed")
	}
}

func TestEightGoroutinesAgreeWithOne(t *testing.T) {
	m := fitted(t, "markov", map[string]any{"order": 3})
	x := genmodels.Rows(all9(), 9)
	opts := &genmodels.SampleOptions{Seed: 42}
	lp := must(m.LogProb(x, nil))
	s := must(m.Sample(300, opts))
	var wg sync.WaitGroup
	failures := make(chan string, 8*20)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if got, err := m.LogProb(x, nil); err != nil || !reflect.DeepEqual(got, lp) {
					failures <- "log_prob"
				}
				if got, err := m.Sample(300, opts); err != nil || !reflect.DeepEqual(got, s) {
					failures <- "sample"
				}
				// Errors travel with their call, whichever thread the goroutine is on.
				var err error
				want := "d = 8"
				if (g+i)%2 == 0 {
					_, err = m.LogProb(genmodels.Rows(make([]float32, 8), 8), nil)
				} else {
					_, err = genmodels.New("nonesuch", nil)
					want = "nonesuch"
				}
				if err == nil || !strings.Contains(err.Error(), want) {
					failures <- "error: " + want + " vs " + err.Error()
				}
				runtime.Gosched()
			}
		}(g)
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
}

func TestCloseAndFinalizer(t *testing.T) {
	m := must(genmodels.New("bernoulli", nil))
	m.Close()
	m.Close()
	if _, err := m.Sample(1, nil); !errors.Is(err, genmodels.InvalidArgument) {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		must(genmodels.New("markov", nil)) // left to the finalizer
	}
	runtime.GC()
	runtime.GC()
}

func TestCondition(t *testing.T) {
	cases := []struct {
		kind      string
		config    map[string]any
		wantKind  int
		wantWidth int
	}{
		{"bernoulli", nil, genmodels.ConditionNone, 0},
		{"cgan", map[string]any{"classes": 7}, genmodels.ConditionLabel, 7},
		{"cgan", map[string]any{"condition": "vector", "condition_dim": 3}, genmodels.ConditionVector, 3},
		{"cgan", map[string]any{"condition": "text"}, genmodels.ConditionText, 0},
		{"infogan", nil, genmodels.ConditionNone, 0},
	}
	for _, c := range cases {
		m, err := genmodels.New(c.kind, c.config)
		if err != nil {
			t.Fatal(err)
		}
		kind, dim, err := m.Condition()
		m.Close()
		if err != nil || kind != c.wantKind || dim != c.wantWidth {
			t.Errorf("%s %v: Condition() = %d, %d, %v; want %d, %d", c.kind, c.config, kind, dim, err, c.wantKind, c.wantWidth)
		}
	}
}
