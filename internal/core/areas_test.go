package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/herald-social/herald/storage"
)

// Each area service holds a part of the store, never the whole of it, and
// its rules do not reach around that part through the Service they belong
// to (s.Service.store): what an area may read and write is what its store
// interface in areas.go says.
func TestAreasHoldOnlyTheirPartOfTheStore(t *testing.T) {
	whole := reflect.TypeOf((*storage.Store)(nil)).Elem()
	areas := map[string]reflect.Type{}
	for _, a := range []any{AuthService{}, AdminService{}, MediaService{}, NotificationService{}, UserDataService{}, InteractionService{}, FederationService{}} {
		typ := reflect.TypeOf(a)
		areas[typ.Name()] = typ
		f, ok := typ.FieldByName("store")
		if !ok {
			t.Errorf("%s has no store field", typ.Name())
			continue
		}
		if f.Type == whole || f.Type.NumMethod() >= whole.NumMethod() {
			t.Errorf("%s holds the whole store (%s, %d methods); give it an interface of what it uses", typ.Name(), f.Type, f.Type.NumMethod())
		}
	}
	// The Service embeds every area: a new area must be listed above.
	svc := reflect.TypeOf(Service{})
	for i := 0; i < svc.NumField(); i++ {
		if f := svc.Field(i); f.Anonymous && areas[f.Type.Elem().Name()] == nil {
			t.Errorf("Service embeds %s, which this test does not check", f.Type.Elem().Name())
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "store" {
				return true
			}
			if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "Service" {
				t.Errorf("%s: an area reaches the whole store through its Service", fset.Position(sel.Pos()))
			}
			return true
		})
	}
}
