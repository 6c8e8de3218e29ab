package genmodels

// The structs and constants as cgo lays them out against genmodels.h as the C compiler does:
// bindings/run_tests.sh compiles bindings/layout/print_layout.c and points
// GENMODELS_LAYOUT_JSON at its output; without it this test is skipped.

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

func TestLayoutMatchesGenmodelsH(t *testing.T) {
	path := os.Getenv("GENMODELS_LAYOUT_JSON")
	if path == "" {
		t.Skip("GENMODELS_LAYOUT_JSON is not set (bindings/run_tests.sh sets it)")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var layout struct {
		Structs map[string]struct {
			Size, Align uintptr
			Fields      [][3]json.RawMessage
		}
		Constants map[string]int64
	}
	if err := json.Unmarshal(raw, &layout); err != nil {
		t.Fatal(err)
	}
	ours := cLayout()
	if len(ours) != len(layout.Structs) {
		t.Errorf("genmodels.h has %d structs, layout.go checks %d", len(layout.Structs), len(ours))
	}
	for name, c := range layout.Structs {
		o, ok := ours[name]
		if !ok {
			t.Errorf("%s: not in layout.go", name)
			continue
		}
		var fields []cField
		for _, f := range c.Fields {
			var field cField
			if json.Unmarshal(f[0], &field.Name) != nil || json.Unmarshal(f[1], &field.Offset) != nil ||
				json.Unmarshal(f[2], &field.Size) != nil {
				t.Fatalf("%s: bad field %s", name, f)
			}
			fields = append(fields, field)
		}
		if !reflect.DeepEqual(fields, o.Fields) {
			t.Errorf("%s: fields [name offset size]\n  C:  %v\n  Go: %v", name, fields, o.Fields)
		}
		if c.Size != o.Size || c.Align != o.Align {
			t.Errorf("%s: size/align C %d/%d, Go %d/%d", name, c.Size, c.Align, o.Size, o.Align)
		}
	}
	if !reflect.DeepEqual(layout.Constants, cConstants()) {
		t.Errorf("constants\n  C:  %v\n  Go: %v", layout.Constants, cConstants())
	}
}
