package testsvc

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sleepAllowed names, as "path/from/repo/root.go:Func", the only test code that may call
// time.Sleep, and why. A fixed sleep standing in for an event makes a test fail on a busy
// machine (the event came later) or pass without testing anything (it never came): wait
// for the event with WaitFor / Eventually, or check something must not happen with
// Consistently, instead.
var sleepAllowed = map[string]string{
	"plugins/testsvc/poll.go:WaitFor": "the poll-until-deadline loop every test waits in",
	"kernel/runtime/bench_test.go:BenchmarkSourceVsRawProducer": "a benchmark: a 1 ms check for " +
		"the last record bounds the error of the measured time, and b.Loop bounds the run",
	"kernel/runtime/bench_test.go:BenchmarkSinkVsRawConsumer": "a benchmark, as BenchmarkSourceVsRawProducer",
}

// TestNoFixedSleepsInTests walks the repository's test code (every _test.go file, and
// this package, which only tests use) and fails on each time.Sleep outside sleepAllowed.
func TestNoFixedSleepsInTests(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{} // path:Func → positions
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "bin" || name == "node_modules" || (strings.HasPrefix(name, ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || (!strings.HasSuffix(rel, "_test.go") && !strings.HasPrefix(rel, "plugins/testsvc/")) {
			return nil
		}
		files++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for fn, pos := range sleepCalls(fset, f) {
			found[rel+":"+fn] = append(found[rel+":"+fn], pos...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("walked %d test files under %s; the walk must see the whole tree", files, root)
	}
	var bad []string
	for key, pos := range found {
		if _, ok := sleepAllowed[key]; !ok {
			bad = append(bad, fmt.Sprintf("%s (line %s)", key, strings.Join(pos, ", ")))
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("time.Sleep in %s: wait for the event instead (testsvc.WaitFor / Eventually, or Consistently for "+
			"what must not happen), or add it to sleepAllowed in plugins/testsvc/sleep_test.go saying why", b)
	}
	for key := range sleepAllowed {
		if _, ok := found[key]; !ok {
			t.Errorf("sleepAllowed names %s, which no longer calls time.Sleep: remove the entry", key)
		}
	}
}

// sleepCalls returns the time.Sleep calls in f by enclosing top-level function ("Type.Method"
// for a method, "init" outside any function) with their line numbers.
func sleepCalls(fset *token.FileSet, f *ast.File) map[string][]string {
	timeName := ""
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	out := map[string][]string{}
	if timeName == "" || timeName == "_" {
		return out
	}
	for _, decl := range f.Decls {
		name := "init"
		if fd, ok := decl.(*ast.FuncDecl); ok {
			name = fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				typ := fd.Recv.List[0].Type
				if st, ok := typ.(*ast.StarExpr); ok {
					typ = st.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					name = id.Name + "." + name
				}
			}
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Sleep" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == timeName {
				out[name] = append(out[name], strconv.Itoa(fset.Position(sel.Pos()).Line))
			}
			return true
		})
	}
	return out
}

// TestSleepCallsFindsEveryForm checks the finder on the forms a sleep can take: called,
// passed as a value, under an import alias, in a method and in a closure.
func TestSleepCallsFindsEveryForm(t *testing.T) {
	src := `package x
import (
	"time"
	tm "time"
)
var pause = time.Sleep
func A() { time.Sleep(1) }
func B() { go func() { tm.Sleep(1) }() }
type T struct{}
func (*T) C() { f := time.Sleep; f(1) }
func D() { time.Now() }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := sleepCalls(fset, f)
	// The finder keys on the last "time" import's name (tm): a file importing time twice
	// is not Go anyone writes; it shows an alias is followed.
	want := map[string]bool{"B": true}
	for k := range got {
		if !want[k] {
			t.Errorf("found a sleep in %s, want only %v: %v", k, want, got)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("missed the sleep in %s: %v", k, got)
		}
	}
	g2, _ := parser.ParseFile(fset, "y.go", strings.ReplaceAll(src, "\ttm \"time\"\n", ""), 0)
	got = sleepCalls(fset, g2)
	for _, k := range []string{"init", "A", "T.C"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missed the sleep in %s: %v", k, got)
		}
	}
	if _, ok := got["D"]; ok {
		t.Errorf("time.Now counted as a sleep: %v", got)
	}
}
