// Package funclen holds the check on the length of hand-written functions:
// none over maxLines, outside tests, generated code and seed data. The
// functions longer than that today are listed with their length; each may
// only shrink, and leaves the list once it fits.
package funclen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	root     = "../.."
	maxLines = 120
)

// over lists functions allowed past maxLines, by file and name, with their
// length; each may only shrink. Empty since issue 20 split the last eight.
var over = map[string]int{}

// skipped are trees the rule does not cover: seed data is long lists.
var skipped = []string{"internal/seed", "web", "bench", "test", ".data", "node_modules"}

func TestNoLongFunctions(t *testing.T) {
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || slices.Contains(skipped, rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			key := rel + " " + fd.Name.Name
			allowed, listed := over[key]
			switch {
			case listed && lines > allowed:
				t.Errorf("%s grew to %d lines (listed at %d, the limit is %d): split it", key, lines, allowed, maxLines)
			case !listed && lines > maxLines:
				t.Errorf("%s has %d lines, more than %d: split it", key, lines, maxLines)
			}
			if listed {
				seen[key] = true
				if lines <= maxLines {
					t.Errorf("%s is %d lines now: take it off the list", key, lines)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range over {
		if !seen[key] {
			t.Errorf("%s is listed but not found: take it off the list", key)
		}
	}
}
