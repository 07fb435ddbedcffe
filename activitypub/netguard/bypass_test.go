package netguard_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoUnguardedClients scans every non-test Go source of the module for
// outgoing HTTP that bypasses netguard: http.DefaultClient,
// http.DefaultTransport, http.Get/Head/Post/PostForm, and http.Client or
// http.Transport literals (a new client must be made with
// netguard.NewClient). A deliberate exception goes into allowed below,
// with the reason.
func TestNoUnguardedClients(t *testing.T) {
	root := moduleRoot(t)
	// allowed: file (slash path from the module root) → why it may.
	allowed := map[string]string{
		"activitypub/netguard/netguard.go": "netguard itself builds the guarded client",
		"internal/server/testing.go":       "test harness: its client talks to the test's own server",
		"internal/bench/bench.go":          "herald bench measures a child process on loopback, never a remote",
		"internal/bench/peers.go":          "herald bench: loopback sinks of its own",
		"internal/bench/phases.go":         "herald bench: reads its child's debug endpoint on loopback",
		"internal/bench/floor.go":          "herald bench: waits for its floor server on loopback",
		"internal/media/s3client.go": "the S3 endpoint is the operator's own, set in the config, and is often on the " +
			"private network (MinIO beside Herald): the guard against private addresses would refuse it; nothing remote " +
			"chooses the address, and redirects are not followed",
		"internal/core/oidc.go": "the OpenID provider is the operator's own, set in the config, and is often on the " +
			"organisation's private network (Keycloak on the intranet): the guard against private addresses would refuse it; " +
			"nothing remote chooses the address",
		"internal/testutil/oidcprovider/provider.go": "test-only OpenID provider: its client talks to Herald on loopback",
		"internal/testutil/s3.go":                    "test-only: waits for the S3 server the test started on loopback",
		"internal/testutil/apkey/apkey.go":           "test-only: a test's remote server fetches Herald's key on loopback",
	}
	fset := token.NewFileSet()
	var found []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if _, ok := allowed[rel]; ok {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Logf("skip %s: %v", rel, err) // another engineer's file mid-edit
			return nil
		}
		httpName := ""
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, `"`) == "net/http" {
				httpName = "http"
				if imp.Name != nil {
					httpName = imp.Name.Name
				}
			}
		}
		if httpName == "" || httpName == "_" {
			return nil
		}
		isHTTP := func(e ast.Expr, names ...string) (string, bool) {
			sel, ok := e.(*ast.SelectorExpr)
			if !ok {
				return "", false
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Name != httpName {
				return "", false
			}
			for _, n := range names {
				if sel.Sel.Name == n {
					return n, true
				}
			}
			return "", false
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if what, ok := isHTTP(x, "DefaultClient", "DefaultTransport", "Get", "Head", "Post", "PostForm"); ok {
					found = append(found, fset.Position(x.Pos()).String()+": http."+what)
				}
			case *ast.CompositeLit:
				if what, ok := isHTTP(x.Type, "Client", "Transport"); ok {
					found = append(found, fset.Position(x.Pos()).String()+": http."+what+"{...}")
				}
			case *ast.CallExpr:
				if fn, ok := x.Fun.(*ast.Ident); ok && fn.Name == "new" && len(x.Args) == 1 {
					if what, ok := isHTTP(x.Args[0], "Client", "Transport"); ok {
						found = append(found, fset.Position(x.Pos()).String()+": new(http."+what+")")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("outgoing HTTP that bypasses netguard (use netguard.NewClient): %s", f)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}
