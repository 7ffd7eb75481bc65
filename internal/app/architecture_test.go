package app_test

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docs/architecture.md is the map of the code: its package table lists exactly the packages
// `go list ./...` finds, each in the layer deps_test.go enforces.
func TestArchitectureDoc(t *testing.T) {
	b, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "\n## Packages\n")
	if start < 0 {
		t.Fatal("docs/architecture.md has no \"## Packages\" section")
	}
	section := doc[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| ([a-z]+) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		documented[m[1]] = m[2]
	}

	out, err := exec.Command("go", "list", mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var listed []string
	for _, p := range strings.Fields(string(out)) {
		listed = append(listed, strings.TrimPrefix(p, mod))
	}
	var inDoc []string
	for p, layer := range documented {
		inDoc = append(inDoc, p)
		if layers[p] != layer {
			t.Errorf("docs/architecture.md puts %s in layer %q, deps_test.go in %q", p, layer, layers[p])
		}
	}
	slices.Sort(listed)
	slices.Sort(inDoc)
	for _, p := range listed {
		if _, ok := documented[p]; !ok {
			t.Errorf("package %s is missing from the package table of docs/architecture.md", p)
		}
	}
	for _, p := range inDoc {
		if !slices.Contains(listed, p) {
			t.Errorf("docs/architecture.md lists %s, which go list does not find", p)
		}
	}
	if len(listed) < 20 {
		t.Errorf("go list found only %d packages", len(listed))
	}
}
