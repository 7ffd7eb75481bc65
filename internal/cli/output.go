package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sesameid/sesame/internal/app"
	"github.com/sesameid/sesame/internal/config"
	"github.com/sesameid/sesame/internal/org"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under header, aligned.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// listInOrg runs a "<group> list --org SLUG [--json]" command: fetch the organization's items
// and print them as a JSON array or a table.
func listInOrg[T any](e *env, name string, args []string, fetch func(*app.Admin, org.Organization) ([]T, error),
	header []string, row func(T) []string) error {
	fs, l := e.flags(name)
	orgSlug := fs.String("org", "", "organization slug (required)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	cfg, err := e.load(fs, l, args, config.NeedDatabase)
	if err != nil {
		return err
	}
	return e.inOrg(cfg, *orgSlug, func(a *app.Admin, o org.Organization) error {
		items, err := fetch(a, o)
		if err != nil {
			return err
		}
		if *asJSON {
			if items == nil {
				items = []T{}
			}
			return writeJSON(e.stdout, items)
		}
		rows := make([][]string, len(items))
		for i, it := range items {
			rows[i] = row(it)
		}
		return table(e.stdout, header, rows)
	})
}
