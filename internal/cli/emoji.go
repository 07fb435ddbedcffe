package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

// emojiCmd runs the emoji subcommands: import.
func emojiCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{"emoji needs a subcommand: import"}
	}
	fs, cfgPath := newFlags("emoji import", stderr)
	category := fs.String("category", "", "category of the imported emoji")
	overwrite := fs.Bool("overwrite", false, "replace the image of an emoji that already exists")
	dirs, err := parseWithArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if len(dirs) != 1 {
		return usageError{"emoji import needs one folder of images (see herald emoji import --help)"}
	}
	dir := dirs[0]
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot read the folder %s: %w", dir, err)
	}
	svc, closeFn, err := openService(*cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var added, replaced, skipped, failed int
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".png" && ext != ".gif" && ext != ".webp" {
			fmt.Fprintf(stdout, "skipped %s: not a .png, .gif or .webp file\n", name)
			skipped++
			continue
		}
		code := strings.TrimSuffix(name, filepath.Ext(name))
		r, err := importEmojiFile(svc, filepath.Join(dir, name), code, *category, *overwrite)
		if err != nil {
			fmt.Fprintf(stdout, "failed %s: %s\n", name, cliMessage(err))
			failed++
			continue
		}
		if r.Replaced {
			fmt.Fprintf(stdout, "replaced :%s: from %s\n", r.Shortcode, name)
			replaced++
		} else {
			fmt.Fprintf(stdout, "added :%s: from %s\n", r.Shortcode, name)
			added++
		}
	}
	fmt.Fprintf(stdout, "%d added, %d replaced, %d skipped, %d failed\n", added, replaced, skipped, failed)
	if failed > 0 {
		return fmt.Errorf("%d of the files could not be imported", failed)
	}
	return nil
}

func importEmojiFile(svc *core.Service, path, code, category string, overwrite bool) (*core.EmojiImport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, core.MaxEmojiBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > core.MaxEmojiBytes {
		return nil, herr.Unprocessable("the file is larger than %d KB", core.MaxEmojiBytes>>10)
	}
	return svc.OperatorImportEmoji(context.Background(), code, data, category, overwrite)
}

// cliMessage is an error as a person reads it: the client-safe message of
// a domain error, else the error.
func cliMessage(err error) string {
	var he *herr.Error
	if errors.As(err, &he) {
		return he.Msg
	}
	return err.Error()
}

// parseWithArgs parses flags placed before or after positional arguments
// (herald emoji import DIR --overwrite) and returns the positional ones.
func parseWithArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		var out strings.Builder
		fs.SetOutput(&out)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpShown{"Usage of herald " + fs.Name() + ":\n" + flagDefaults(fs)}
			}
			return nil, usageError{err.Error() + " (see herald " + fs.Name() + " --help)"}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
