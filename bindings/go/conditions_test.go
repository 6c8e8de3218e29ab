package genmodels_test

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"genmodels.local/genmodels"
)

// TextFeatures (gm_text_features_compute_v) in its versions, and Model.TextFeatures
// (gm_model_text_features) on a text cgan with the learned encoder, fitted and sampled with
// condition vectors.
func TestTextFeatures(t *testing.T) {
	v1, err := genmodels.TextFeatures("red dresses", 64, "words-v1")
	if err != nil {
		t.Fatal(err)
	}
	norm := 0.0
	for _, v := range v1 {
		norm += float64(v) * float64(v)
	}
	if math.Abs(math.Sqrt(norm)-1) > 1e-5 {
		t.Errorf("words-v1 norm %v", math.Sqrt(norm))
	}
	if _, err := genmodels.TextFeatures("a", 64, "words-v9"); !errors.Is(err, genmodels.InvalidArgument) {
		t.Errorf("unknown version: %v", err)
	}

	const n, dim = 32, 64
	x := make([]float32, n*64)
	for i := range x {
		if (i*7919)%10 < 3 {
			x[i] = 1
		}
	}
	sentences := []string{"red dresses", "ankle boots"}
	var c []float32
	for r := 0; r < n; r++ {
		f, err := genmodels.TextFeatures(sentences[r%2], dim, "subword-ids-v3")
		if err != nil {
			t.Fatal(err)
		}
		c = append(c, f...)
	}
	m, err := genmodels.New("cgan", map[string]any{"ngf": 4, "ndf": 4, "latent": 8, "condition": "text",
		"text_features": "subword-ids-v3", "embed": 8})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	train := genmodels.Data{X: x, D: 64, Channels: 1, Height: 8, Width: 8, Conditions: c, ConditionDim: dim}
	if err := m.Fit(train, &genmodels.FitOptions{Epochs: 1, BatchSize: 16, Threads: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	boots, err := m.TextFeatures("ankle boots")
	if err != nil || !reflect.DeepEqual(boots, c[dim:2*dim]) {
		t.Fatalf("the model's features of a sentence differ from its version's: %v", err)
	}
	three := append(append(append([]float32(nil), boots...), boots...), boots...)
	out, err := m.Sample(3, &genmodels.SampleOptions{Seed: 5, Conditions: three, ConditionDim: dim})
	if err != nil || len(out) != 3*64 {
		t.Fatalf("sample: %d values, %v", len(out), err)
	}
	b, err := genmodels.New("bernoulli", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Fit(genmodels.Data{X: x, D: 64}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.TextFeatures("ankle boots"); !errors.Is(err, genmodels.Unsupported) {
		t.Errorf("bernoulli: %v", err)
	}
}
