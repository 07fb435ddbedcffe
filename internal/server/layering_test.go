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

// The store is private to the domain layer: every surface (the federation
// engine, the client API, the web UI, the command line, the push and webhook workers)
// reads and writes through internal/core, so that each rule lives in one
// place. core.Service's store is unexported, so the compiler keeps the
// surfaces off it; this test reads the non-test Go source of each surface
// (and its subpackages) and fails on what would still reach around core:
//
//   - an import of storage/sqlite (the concrete store);
//   - the type storage.Store, or any other interface of package storage
//     (storage.Accounts, storage.Federation, ...): a surface holding the
//     store, or part of it;
//   - a selector X.Store on a value: server.Server's store (srv.Store).
//
// The other names of package storage (storage.Delivery, storage.ErrNotFound,
// filters, rows such as storage.AdminAccount) are vocabulary shared with
// core and stay allowed.
var surfaces = []string{"activitypub", "api", "webui", "internal/cli", "internal/push", "internal/webhook"}

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
	for _, dir := range surfaces {
		t.Run(dir, func(t *testing.T) {
			refs, err := storeRefs(filepath.Join(root, filepath.FromSlash(dir)), ifaces)
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) > 0 {
				t.Errorf("%s must not reach the store; it does %d times (go through internal/core):\n  %s",
					dir, len(refs), strings.Join(refs, "\n  "))
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
