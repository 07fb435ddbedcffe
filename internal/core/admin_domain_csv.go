package core

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Domain blocks as CSV, in Mastodon's format (Admin::ExportDomainBlocks):
// a header line "#domain,#severity,#reject_media,#reject_reports,
// #public_comment,#obfuscate" and one block per line. An import is first
// previewed, then the chosen domains are blocked; a domain that a block
// already covers (itself or a parent domain, in the console or the config)
// is left as it is, so an import never weakens a block.

// DomainBlockCSVHeader is the header line of an export.
var DomainBlockCSVHeader = []string{"#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"}

// MaxDomainBlockImportRows bounds an import (Mastodon's limit).
const MaxDomainBlockImportRows = 2000

// ExportDomainBlocks writes the console's domain blocks as CSV (blocks set
// in the config file are not included: they are changed there).
func (s *AdminService) ExportDomainBlocks(ctx context.Context, c *Caller) ([]byte, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	blocks, err := s.store.AllDomainBlocks(ctx)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(DomainBlockCSVHeader)
	for _, d := range blocks {
		_ = w.Write([]string{d.Domain, d.Severity, strconv.FormatBool(d.RejectMedia), strconv.FormatBool(d.RejectReports),
			csvSafe(d.PublicComment), strconv.FormatBool(d.Obfuscate)})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// csvSafe keeps a comment from being read as a formula by a spreadsheet.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// DomainBlockImport is the preview of an import.
type DomainBlockImport struct {
	Blocks   []*model.DomainBlock  // to offer, in file order
	Existing []ExistingDomainBlock // covered by a block already: left alone
	Errors   []ImportLineError     // lines that cannot be imported
}

// ExistingDomainBlock is a domain of the file that a block already covers.
type ExistingDomainBlock struct {
	Domain  string
	Covered string // the domain of the block that covers it
	Current string // that block's severity
}

// ImportLineError is a line of the file that cannot be imported.
type ImportLineError struct {
	Line    int
	Message string
}

// PreviewDomainBlockImport reads a CSV file of domain blocks and tells
// which would be imported, which are already covered, and which lines are
// wrong. Nothing is changed.
func (s *AdminService) PreviewDomainBlockImport(ctx context.Context, c *Caller, data []byte) (*DomainBlockImport, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, herr.Unprocessable("Choose a CSV file of domain blocks")
	}
	if !utf8.Valid(data) {
		return nil, herr.Unprocessable("The file is not UTF-8 text")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, herr.Unprocessable("The file is not CSV: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["#domain"]; !ok {
		return nil, herr.Unprocessable("The first line must be the header %s (Mastodon's export format)", strings.Join(DomainBlockCSVHeader, ","))
	}
	rules, err := s.loadPolicyRules(ctx)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := &DomainBlockImport{}
	seen := map[string]int{}
	for n := 0; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			out.Errors = append(out.Errors, ImportLineError{Line: line, Message: "not valid CSV: " + err.Error()})
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				continue
			}
			break // a broken quote: the rest cannot be read reliably
		}
		if n >= MaxDomainBlockImportRows {
			out.Errors = append(out.Errors, ImportLineError{Line: line, Message: "only the first " + strconv.Itoa(MaxDomainBlockImportRows) + " blocks of a file are read"})
			break
		}
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		b, msg := parseDomainBlockRow(field)
		if msg != "" {
			out.Errors = append(out.Errors, ImportLineError{Line: line, Message: msg})
			continue
		}
		if b.Domain == strings.ToLower(s.Cfg.Instance.Domain) {
			out.Errors = append(out.Errors, ImportLineError{Line: line, Message: b.Domain + " is this server"})
			continue
		}
		if first, dup := seen[b.Domain]; dup {
			out.Errors = append(out.Errors, ImportLineError{Line: line, Message: b.Domain + " is already on line " + strconv.Itoa(first)})
			continue
		}
		seen[b.Domain] = line
		if ex := coveringBlock(rules.blocks, b.Domain); ex != nil {
			out.Existing = append(out.Existing, ExistingDomainBlock{Domain: b.Domain, Covered: ex.Domain, Current: ex.Severity})
			continue
		}
		out.Blocks = append(out.Blocks, b)
	}
	return out, nil
}

// parseDomainBlockRow reads one line; msg says what is wrong with it.
func parseDomainBlockRow(field func(string) string) (*model.DomainBlock, string) {
	raw := field("#domain")
	d := NormaliseDomain(raw)
	if raw == "" {
		return nil, "no domain"
	}
	if !domainRe(d) || strings.ContainsAny(d, "*") {
		return nil, strconvQuote(raw) + " is not a valid domain name"
	}
	b := &model.DomainBlock{Domain: d, Severity: "suspend"}
	if v := strings.ToLower(field("#severity")); v != "" {
		switch v {
		case "silence", "suspend", "noop":
			b.Severity = v
		default:
			return nil, "severity " + strconvQuote(v) + " is not silence, suspend or noop"
		}
	}
	for name, dst := range map[string]*bool{"#reject_media": &b.RejectMedia, "#reject_reports": &b.RejectReports, "#obfuscate": &b.Obfuscate} {
		v := strings.ToLower(field(name))
		switch v {
		case "", "false", "0", "no":
		case "true", "1", "yes":
			*dst = true
		default:
			return nil, name[1:] + " " + strconvQuote(v) + " is not true or false"
		}
	}
	b.PublicComment = strings.TrimPrefix(field("#public_comment"), "'")
	if len(b.PublicComment) > 5000 {
		return nil, "the public comment is too long"
	}
	return b, ""
}

func strconvQuote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}

// coveringBlock is the block that applies to domain already, if any.
func coveringBlock(blocks []*model.DomainBlock, domain string) *model.DomainBlock {
	for _, b := range blocks {
		if domainMatches(domain, b.Domain) {
			return b
		}
	}
	return nil
}

// ImportDomainBlocks blocks the chosen domains of a previewed file. The
// file is read again (the preview changed nothing); a domain that a block
// covers by now is skipped. Each new block gets the private comment
// "Imported from SOURCE on DATE" and is enforced and audited as one made
// by hand. It returns how many were created and which were skipped.
func (s *AdminService) ImportDomainBlocks(ctx context.Context, c *Caller, data []byte, source string, chosen []string) (int, []string, error) {
	prev, err := s.PreviewDomainBlockImport(ctx, c, data)
	if err != nil {
		return 0, nil, err
	}
	want := map[string]bool{}
	for _, d := range chosen {
		want[NormaliseDomain(d)] = true
	}
	if len(want) == 0 {
		return 0, nil, herr.Unprocessable("Choose the domains to block")
	}
	source = strings.TrimSpace(source)
	if source == "" || len(source) > 200 {
		source = "a CSV file"
	}
	comment := "Imported from " + source + " on " + time.Now().UTC().Format("2006-01-02 15:04 MST")
	var skipped []string
	n := 0
	for _, b := range prev.Blocks {
		if !want[b.Domain] {
			continue
		}
		_, err := s.CreateDomainBlock(ctx, c, DomainBlockParams{Domain: b.Domain, Severity: &b.Severity, RejectMedia: &b.RejectMedia,
			RejectReports: &b.RejectReports, PublicComment: &b.PublicComment, PrivateComment: &comment, Obfuscate: &b.Obfuscate})
		var ex *ExistingDomainBlockError
		if errors.As(err, &ex) {
			skipped = append(skipped, b.Domain)
			continue
		}
		if err != nil {
			return n, skipped, err
		}
		n++
	}
	return n, skipped, nil
}
