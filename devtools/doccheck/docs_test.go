// Package doccheck holds the checks on the project's Markdown: the README
// stays a front page, and every relative link and anchor resolves, so a
// section moved between guides cannot leave a dead link behind.
package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../.."

// maxReadmeLines keeps the README a front page; the rest lives in docs/.
const maxReadmeLines = 300

var (
	fence   = regexp.MustCompile("(?s)```.*?```")
	link    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	notWord = regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
)

// anchor is the fragment GitHub gives a heading.
func anchor(heading string) string {
	h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(heading, "#")))
	return strings.ReplaceAll(notWord.ReplaceAllString(h, ""), " ", "-")
}

func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "ARCHITECTURE.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestReadmeIsAFrontPage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > maxReadmeLines {
		t.Errorf("README.md has %d lines; keep it under %d and move the detail to docs/", n, maxReadmeLines)
	}
}

func TestLinksResolve(t *testing.T) {
	files := markdownFiles(t)
	anchors := map[string]map[string]bool{}
	texts := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
		set := map[string]bool{}
		for _, line := range strings.Split(fence.ReplaceAllString(string(b), ""), "\n") {
			if strings.HasPrefix(line, "#") {
				set[anchor(line)] = true
			}
		}
		anchors[f] = set
	}
	for _, f := range files {
		for _, m := range link.FindAllStringSubmatch(texts[f], -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			dest := f
			if path != "" {
				dest = filepath.Clean(filepath.Join(filepath.Dir(f), path))
				if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
					t.Errorf("%s: link to %s: no such file", f, target)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(dest, ".md") {
				continue
			}
			set, ok := anchors[dest]
			if !ok {
				t.Errorf("%s: link to %s: not a checked Markdown file", f, target)
			} else if !set[frag] {
				t.Errorf("%s: link to %s: no heading with that anchor", f, target)
			}
		}
	}
}
