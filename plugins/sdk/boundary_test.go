package sdk

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAuthorsNeverImportTheProtocol checks the SDK's promise: connectors under plugins/
// import plugins/sdk (and its packages), never the generated protocol code, which only
// the SDK and package protocol (the go-plugin contract) may use; and the kernel links
// the protocol, never the author-facing SDK. Test files may act as the kernel and are not
// checked.
func TestAuthorsNeverImportTheProtocol(t *testing.T) {
	const (
		module   = "github.com/tributary-dev/tributary/"
		protoPkg = module + "proto/tributary/plugin/v1"
		sdkPkg   = module + "plugins/sdk"
	)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "bin" || (strings.HasPrefix(name, ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case p == protoPkg && strings.HasPrefix(rel, "plugins/") &&
				!strings.HasPrefix(rel, "plugins/sdk/") && !strings.HasPrefix(rel, "plugins/protocol/"):
				t.Errorf("%s imports %s: a connector uses package sdk's types, never the generated protocol", rel, p)
			case (p == sdkPkg || strings.HasPrefix(p, sdkPkg+"/")) && !strings.HasPrefix(rel, "plugins/"):
				t.Errorf("%s imports %s: the kernel and tools use package protocol, never the author-facing SDK", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d Go files under %s; is the walk rooted at the repository?", checked, root)
	}
}
