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

// sleepAllowed names, as "path/from/repo/root.go:Func", the only test code that may sleep
// for a fixed time (time.Sleep, or a bare receive from a timer: see sleepCalls), and why. A fixed sleep standing in for an event makes a test fail on a busy
// machine (the event came later) or pass without testing anything (it never came): wait
// for the event with WaitFor / Eventually, or check something must not happen with
// Consistently, instead.
var sleepAllowed = map[string]string{
	"plugins/testsvc/poll.go:WaitFor": "the poll-until-deadline loop every test waits in",
	"kernel/herder/bench_test.go:BenchmarkSourceVsRawProducer": "a benchmark: a 1 ms check for " +
		"the last record bounds the error of the measured time, and b.Loop bounds the run",
	"kernel/herder/bench_test.go:BenchmarkSinkVsRawConsumer": "a benchmark, as BenchmarkSourceVsRawProducer",
}

// TestNoFixedSleepsInTests walks the repository's test code (every _test.go file, and
// this package, which only tests use) and fails on each fixed sleep (time.Sleep, or a bare
// `<-time.After(d)` or timer receive: see sleepCalls) outside sleepAllowed.
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
			bad = append(bad, fmt.Sprintf("%s (%s)", key, strings.Join(pos, ", ")))
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("fixed sleep in %s: wait for the event instead (testsvc.WaitFor / Eventually, or Consistently for "+
			"what must not happen), or add it to sleepAllowed in plugins/testsvc/sleep_test.go saying why", b)
	}
	for key := range sleepAllowed {
		if _, ok := found[key]; !ok {
			t.Errorf("sleepAllowed names %s, which no longer sleeps: remove the entry", key)
		}
	}
}

// sleepCalls returns the fixed sleeps in f by enclosing top-level function ("Type.Method"
// for a method, "init" outside any function), each as its line number and form. A fixed
// sleep is time.Sleep (called or taken as a value), or a receive that only waits out a
// timer: a statement `<-time.After(d)` (or `_ = <-time.After(d)`), `<-time.NewTimer(d).C`,
// or `<-t.C` where t was assigned time.NewTimer in the same function. Such a receive as a
// select case is a timeout next to the event awaited, not a sleep, and is not counted.
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
	isTime := func(e ast.Expr, fn string) bool {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != fn {
			return false
		}
		x, ok := sel.X.(*ast.Ident)
		return ok && x.Name == timeName
	}
	isTimeCall := func(e ast.Expr, fn string) bool {
		call, ok := e.(*ast.CallExpr)
		return ok && isTime(call.Fun, fn)
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
		add := func(n ast.Node, form string) {
			out[name] = append(out[name], fmt.Sprintf("line %d: %s", fset.Position(n.Pos()).Line, form))
		}
		// The receives that are select cases, and the names given a time.NewTimer.
		cases := map[ast.Stmt]bool{}
		timers := map[string]bool{}
		ast.Inspect(decl, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CommClause:
				if n.Comm != nil {
					cases[n.Comm] = true
				}
			case *ast.AssignStmt:
				for i, rhs := range n.Rhs {
					if id, ok := n.Lhs[min(i, len(n.Lhs)-1)].(*ast.Ident); ok && isTimeCall(rhs, "NewTimer") {
						timers[id.Name] = true
					}
				}
			case *ast.ValueSpec:
				for i, v := range n.Values {
					if i < len(n.Names) && isTimeCall(v, "NewTimer") {
						timers[n.Names[i].Name] = true
					}
				}
			}
			return true
		})
		// waitsOut reports the form of a receive that only waits for a timer, or "".
		waitsOut := func(e ast.Expr) string {
			u, ok := ast.Unparen(e).(*ast.UnaryExpr)
			if !ok || u.Op != token.ARROW {
				return ""
			}
			x := ast.Unparen(u.X)
			if isTimeCall(x, "After") {
				return "<-" + timeName + ".After"
			}
			sel, ok := x.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "C" {
				return ""
			}
			if isTimeCall(sel.X, "NewTimer") {
				return "<-" + timeName + ".NewTimer(…).C"
			}
			if id, ok := sel.X.(*ast.Ident); ok && timers[id.Name] {
				return "<-" + id.Name + ".C of a " + timeName + ".NewTimer"
			}
			return ""
		}
		ast.Inspect(decl, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if isTime(n, "Sleep") {
					add(n, timeName+".Sleep")
				}
			case *ast.ExprStmt:
				if form := waitsOut(n.X); form != "" && !cases[n] {
					add(n, form)
				}
			case *ast.AssignStmt:
				if len(n.Rhs) == 1 && !cases[n] {
					if form := waitsOut(n.Rhs[0]); form != "" {
						add(n, form)
					}
				}
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

// TestSleepCallsFindsTimerWaits checks the finder on a receive that only waits out a timer
// — a sleep by another name — and that the same receive as a select case (a timeout next
// to the awaited event) or from a channel that is not a timer's is not counted.
func TestSleepCallsFindsTimerWaits(t *testing.T) {
	src := `package x
import "time"
func After() { <-time.After(time.Second) }
func AfterAssigned() { _ = <-time.After(1) }
func AfterParens() { <-(time.After(1)) }
func NewTimerC() { <-time.NewTimer(1).C }
func TimerVar() { tm := time.NewTimer(1); defer tm.Stop(); <-tm.C }
func TimerVarDecl() { var tm = time.NewTimer(1); <-tm.C }
func InClosure() { go func() { <-time.After(1) }() }
func SelectTimeout(ch chan int) {
	select {
	case <-ch:
	case <-time.After(time.Second):
	}
}
func SelectTimer(ch chan int) {
	tm := time.NewTimer(1)
	select {
	case v := <-ch:
		_ = v
	case <-tm.C:
	}
}
func SelectBodySleeps(ch chan int) {
	select {
	case <-ch:
		<-time.After(1)
	}
}
func OtherChannel(ch chan int, tk *time.Ticker) { <-ch; <-tk.C }
func AfterAsValue() <-chan time.Time { return time.After(1) }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := sleepCalls(fset, f)
	want := map[string]bool{"After": true, "AfterAssigned": true, "AfterParens": true, "NewTimerC": true,
		"TimerVar": true, "TimerVarDecl": true, "InClosure": true, "SelectBodySleeps": true}
	for k, pos := range got {
		if !want[k] {
			t.Errorf("counted %s as a fixed sleep (%v); only bare timer receives are", k, pos)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("missed the timer wait in %s: %v", k, got)
		}
	}
}
