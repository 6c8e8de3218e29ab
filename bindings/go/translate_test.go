package genmodels_test

import (
	"errors"
	"strings"
	"testing"

	"genmodels.local/genmodels"
)

// Model.Translate and Model.Domains (gm_model_translate): the errors of a kind that does not
// translate. The translating kinds (cyclegan, stargan, issue 15) add their cases as they land.
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
