package cli

import (
	"context"
	"fmt"
	"net/http"
	neturl "net/url"
	"time"
)

// health probes a running server's /readyz: exit 0 when ready, 1 otherwise. It exists for
// container health checks, where the image has no shell or curl.
func (e *env) health(args []string) error {
	fs, _ := e.flags("health")
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "readiness URL to probe")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if u, err := neturl.Parse(*url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url: want an http or https URL such as http://127.0.0.1:8080/readyz")
	}
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usagef("--url: not a valid URL")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %d", *url, resp.StatusCode)
	}
	return nil
}
