package server_test

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

// The store is private to the domain layer: the client API, the web UI,
// the command line and the push worker read and write through
// internal/core, so that each rule lives in one place. This test reads the non-test Go source of each
// surface (with its subpackages) and fails on anything that reaches around
// core:
//
//   - an import of storage/sqlite, the concrete store;
//   - an interface of package storage (storage.Store, storage.Accounts,
//     ...): a surface holding the store or a part of it;
//   - a selector X.Store on a value: core.Service's store (svc.Store) or
//     server.Server's (srv.Store).
//
// The other names of package storage (storage.ErrNotFound, filters, rows
// such as storage.AdminAccount) are vocabulary shared with core.
var layeredSurfaces = []string{"api", "webui", "internal/cli", "internal/push"}

const heraldModule = "github.com/herald-social/herald"

func TestSurfacesGoThroughCore(t *testing.T) {
	root := filepath.Join("..", "..")
	ifaces, err := storageInterfaceNames(filepath.Join(root, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	if !ifaces["Store"] {
		t.Fatal("package storage declares no interface Store: update this test")
	}
	for _, dir := range layeredSurfaces {
		t.Run(dir, func(t *testing.T) {
			refs, files, err := surfaceStoreRefs(filepath.Join(root, filepath.FromSlash(dir)), ifaces)
			if err != nil {
				t.Fatal(err)
			}
			if files == 0 {
				t.Fatalf("no Go files under %s: update this test", dir)
			}
			if len(refs) > 0 {
				t.Errorf("%s reaches the store %d times (go through internal/core):\n  %s",
					dir, len(refs), strings.Join(refs, "\n  "))
			}
		})
	}
}

// storageInterfaceNames returns the names of the interfaces package
// storage (in dir) declares.
func storageInterfaceNames(dir string) (map[string]bool, error) {
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
				if ts := sp.(*ast.TypeSpec); isInterface(ts.Type) {
					out[ts.Name.Name] = true
				}
			}
		}
	}
	return out, nil
}

func isInterface(e ast.Expr) bool {
	_, ok := e.(*ast.InterfaceType)
	return ok
}

// surfaceStoreRefs lists, as "file:line: what", the references to the
// store in the non-test Go files under dir, and counts the files read.
func surfaceStoreRefs(dir string, ifaces map[string]bool) (refs []string, files int, err error) {
	fset := token.NewFileSet()
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
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
		files++
		refs = append(refs, fileStoreReferences(fset, f, ifaces)...)
		return nil
	})
	return refs, files, err
}

func fileStoreReferences(fset *token.FileSet, f *ast.File, ifaces map[string]bool) []string {
	var refs []string
	add := func(n ast.Node, what string) {
		pos := fset.Position(n.Pos())
		refs = append(refs, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(pos.Filename), pos.Line, what))
	}
	// X.Store with X an imported package's name is a qualified name, not
	// a field.
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
		if p == heraldModule+"/storage/sqlite" {
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
				if p == heraldModule+"/storage" && ifaces[sel.Sel.Name] {
					add(sel, "uses the interface storage."+sel.Sel.Name)
				}
				return true
			}
		}
		if sel.Sel.Name == "Store" {
			add(sel, "uses the field "+selectorText(sel))
		}
		return true
	})
	return refs
}

// selectorText renders a selector chain such as a.svc.Store.
func selectorText(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return selectorText(e.X) + "." + e.Sel.Name
	case *ast.CallExpr:
		return selectorText(e.Fun) + "()"
	}
	return "…"
}
