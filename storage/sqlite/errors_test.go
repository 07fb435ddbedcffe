package sqlite

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// A failing store method names its operation, once, and sentinel errors
// still match through the wrapping.
func TestErrorsNameTheOperation(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)

	_, err := s.AccountByID(ctx, 424242)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing account: %v, want ErrNotFound", err)
	}
	if got := err.Error(); got != "store: account by id: not found" {
		t.Errorf("missing account: %q", got)
	}
	if _, err := s.AccountByID(ctx, mkLocal(t, s, "alice").ID); err != nil {
		t.Fatalf("existing account: %v", err)
	}

	closed, err := Open(ctx, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	_, err = closed.ClaimJobs(ctx, storage.JobClaim{Kind: storage.JobDeliver, Owner: "o", Now: time.Now(), Lease: time.Minute, Limit: 10})
	if err == nil || !strings.HasPrefix(err.Error(), "store: claim jobs: ") {
		t.Errorf("closed store: %v", err)
	}
	// TagTimeline returns TagsTimeline's error: one prefix, the inner
	// operation's.
	_, err = closed.TagTimeline(ctx, "x", false, model.Page{Limit: 20})
	if err == nil || !strings.HasPrefix(err.Error(), "store: tags timeline: ") || strings.Count(err.Error(), "store:") != 1 {
		t.Errorf("closed store, forwarded: %v", err)
	}
	if wrap("x", nil) != nil {
		t.Error("wrap of nil is not nil")
	}
}

// TestExportedMethodsWrapErrors checks that every return of an exported
// Store method that can carry an error goes through wrap with the method's
// name in words, so that no error reaches a log without its operation. The
// wrap calls are written mechanically (a go/ast rewrite); a new method must
// follow the same form.
func TestExportedMethodsWrapErrors(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	methods := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil || fd.Recv == nil || !fd.Name.IsExported() || !isStoreRecv(fd.Recv) {
				continue
			}
			res := fd.Type.Results
			if res == nil || len(res.List) == 0 {
				continue
			}
			if id, ok := res.List[len(res.List)-1].Type.(*ast.Ident); !ok || id.Name != "error" {
				continue
			}
			methods++
			op := opWords(fd.Name.Name)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					return false // the closure's own returns
				case *ast.ReturnStmt:
					if len(n.Results) == 0 {
						t.Errorf("%s: %s: bare return", fset.Position(n.Pos()), fd.Name.Name)
						return true
					}
					last := n.Results[len(n.Results)-1]
					if id, ok := last.(*ast.Ident); ok && id.Name == "nil" {
						return true
					}
					c, ok := last.(*ast.CallExpr)
					if ok && len(c.Args) == 2 {
						fn, _ := c.Fun.(*ast.Ident)
						lit, _ := c.Args[0].(*ast.BasicLit)
						if fn != nil && fn.Name == "wrap" && lit != nil {
							if v, _ := strconv.Unquote(lit.Value); v == op {
								return true
							}
						}
					}
					t.Errorf("%s: %s returns an error not wrapped as wrap(%q, ...)", fset.Position(n.Pos()), fd.Name.Name, op)
				}
				return true
			})
		}
	}
	if methods < 100 {
		t.Fatalf("found only %d exported Store methods returning an error", methods)
	}
}

func isStoreRecv(r *ast.FieldList) bool {
	if len(r.List) != 1 {
		return false
	}
	star, ok := r.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "Store"
}

// opWords turns a method name into lower-case words: AccountsByIDs →
// "accounts by ids", IPBlocks → "ip blocks".
func opWords(name string) string {
	r := []rune(name)
	var words []string
	start := 0
	for i := 1; i < len(r); i++ {
		prev, cur := r[i-1], r[i]
		var next rune
		if i+1 < len(r) {
			next = r[i+1]
		}
		boundary := unicode.IsUpper(cur) && !unicode.IsUpper(prev)
		if unicode.IsUpper(cur) && unicode.IsUpper(prev) && unicode.IsLower(next) {
			// The last capital of an acronym starts the next word, unless
			// the acronym is plural (IDs).
			plural := next == 's' && (i+2 >= len(r) || !unicode.IsLower(r[i+2]))
			boundary = !plural
		}
		if boundary {
			words = append(words, strings.ToLower(string(r[start:i])))
			start = i
		}
	}
	return strings.Join(append(words, strings.ToLower(string(r[start:]))), " ")
}

func TestOpWords(t *testing.T) {
	for in, want := range map[string]string{
		"ClaimDeliveries": "claim deliveries", "AccountByURI": "account by uri", "AccountsByIDs": "accounts by ids",
		"IPBlocks": "ip blocks", "CreateIPBlock": "create ip block", "Close": "close",
	} {
		if got := opWords(in); got != want {
			t.Errorf("opWords(%q) = %q, want %q", in, got, want)
		}
	}
}
