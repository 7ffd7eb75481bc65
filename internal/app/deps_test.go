package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/sesameid/sesame/"

// The package tree is the architecture (DESIGN.md): this test keeps the import rules.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/sesameid/sesame/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	layer := func(pkg string) string {
		p := strings.TrimPrefix(pkg, mod)
		switch {
		case p == "internal/seal", p == "internal/secret", p == "templates", p == "migrations":
			return "leaf"
		case p == "internal/org", p == "internal/account", p == "internal/mfa", p == "internal/recovery",
			p == "internal/client", p == "internal/apitoken", p == "internal/audit":
			return "domain"
		case strings.HasPrefix(p, "internal/store/"), p == "internal/notify":
			return "adapter"
		case p == "internal/web", p == "internal/adminapi", p == "internal/oidcop":
			return "edge"
		}
		return p
	}
	thirdParty := func(imp string) bool { return strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }
	var checked int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		from := layer(pkg)
		for _, imp := range imports {
			checked++
			to := layer(imp)
			own := strings.HasPrefix(imp, mod)
			var why string
			switch from {
			case "leaf":
				if own || (thirdParty(imp) && !strings.HasPrefix(imp, "golang.org/x/crypto")) {
					why = "leaves import only the standard library and x/crypto"
				}
			case "domain":
				switch {
				case imp == "net/http" || imp == "html/template" || strings.HasPrefix(imp, "github.com/jackc/") || strings.HasPrefix(imp, "github.com/redis/"):
					why = "domain packages never import net/http, html/template, pgx or go-redis"
				case own && to != "leaf" && to != "domain":
					why = "domain packages import only leaves and other domain packages"
				}
			case "adapter":
				if own && (to == "edge" || to == "internal/app" || to == "internal/cli") {
					why = "adapters import the domain, leaves and their driver only"
				}
			case "edge":
				if own && (to == "adapter" || to == "edge" || to == "internal/app" || to == "internal/cli") {
					why = "edges never import adapters, app or each other (app hands them what they need)"
				}
			}
			if to == "adapter" && own && from != "adapter" && from != "internal/app" && from != "internal/testenv" &&
				!strings.HasSuffix(pkg, "_test") {
				why = "only app and testenv import an adapter"
			}
			if to == "internal/testenv" && !strings.HasSuffix(pkg, "_test") {
				why = "testenv is for tests only"
			}
			if why != "" {
				t.Errorf("%s imports %s: %s", strings.TrimPrefix(pkg, mod), imp, why)
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked only %d imports: is go list working?", checked)
	}
}
