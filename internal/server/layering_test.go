package server

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The store is private to the domain layer: every surface reads and writes
// through internal/core, so that each rule lives in one place. This test
// reads the non-test Go source of each surface (and its subpackages) and
// counts what would reach around core:
//
//   - an import of storage/sqlite (the concrete store);
//   - the type storage.Store, or any other interface of package storage
//     (storage.Accounts, storage.Federation, ...): a surface holding the
//     store, or part of it;
//   - a selector X.Store on a value (core.Service's Store field, or
//     server.Server's, as in svc.Store or srv.Store).
//
// The other names of package storage (storage.Delivery, storage.ErrNotFound,
// ...) are vocabulary shared with core and stay allowed.
//
// A surface whose part of issue 13 is done has limit 0. The others are
// pending: their limit is the count when the activitypub part was done,
// and it may only go down (lower it as references go; set it to 0 when
// the surface is closed).
var surfaces = []struct {
	dir     string
	limit   int
	pending bool
}{
	{dir: "activitypub", limit: 0},
	// Pending (issue 13, item 1, the api/webui/cli part): ceilings that
	// must not grow.
	{dir: "api", limit: 31, pending: true},
	{dir: "webui", limit: 8, pending: true},
	{dir: "internal/cli", limit: 5, pending: true},
}

const modulePath = "github.com/herald-social/herald"

func TestSurfacesDoNotReachTheStore(t *testing.T) {
	root := filepath.Join("..", "..")
	ifaces, err := storageInterfaces(filepath.Join(root, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	if !ifaces["Store"] {
		t.Fatal("package storage declares no interface Store: update this test")
	}
	for _, s := range surfaces {
		t.Run(s.dir, func(t *testing.T) {
			refs, err := storeRefs(filepath.Join(root, filepath.FromSlash(s.dir)), ifaces)
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) > s.limit {
				what := "must not reach the store"
				if s.pending {
					what = fmt.Sprintf("may reach the store at most %d times (pending: the count may only go down)", s.limit)
				}
				t.Errorf("%s %s; it does %d times (go through internal/core):\n  %s",
					s.dir, what, len(refs), strings.Join(refs, "\n  "))
			} else if s.pending && len(refs) < s.limit {
				t.Logf("%s reaches the store %d times, below its limit %d: lower the limit", s.dir, len(refs), s.limit)
			}
		})
	}
}

// storageInterfaces returns the names of the interfaces package storage
// (in dir) declares.
func storageInterfaces(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, sp := range g.Specs {
				ts := sp.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.InterfaceType); ok {
					out[ts.Name.Name] = true
				}
			}
		}
	}
	return out, nil
}

// storeRefs lists, as file:line: what, every reference to the store in the
// non-test Go files under dir; ifaces are package storage's interfaces.
func storeRefs(dir string, ifaces map[string]bool) ([]string, error) {
	var refs []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); p != dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		refs = append(refs, fileStoreRefs(fset, f, ifaces)...)
		return nil
	})
	return refs, err
}

func fileStoreRefs(fset *token.FileSet, f *ast.File, ifaces map[string]bool) []string {
	var refs []string
	add := func(n ast.Node, what string) {
		pos := fset.Position(n.Pos())
		refs = append(refs, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(pos.Filename), pos.Line, what))
	}
	// The file's package names: X.Store with X one of them is a
	// package-qualified name, not a field.
	imported := map[string]string{} // local name → import path
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if im.Name != nil {
			name = im.Name.Name
		}
		imported[name] = p
		if p == modulePath+"/storage/sqlite" {
			add(im, "imports storage/sqlite")
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok {
			if p, isPkg := imported[x.Name]; isPkg {
				if p == modulePath+"/storage" && ifaces[sel.Sel.Name] {
					add(sel, "uses the interface storage."+sel.Sel.Name)
				}
				return true
			}
		}
		if sel.Sel.Name == "Store" {
			add(sel, "uses the field "+exprString(sel))
		}
		return true
	})
	return refs
}

// exprString renders a selector chain such as a.svc.Store.
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.CallExpr:
		return exprString(e.Fun) + "()"
	}
	return "…"
}
