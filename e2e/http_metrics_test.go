package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
)

// /metrics on a listener of its own: served there, 404 on the API port.
func TestMetricsListenApart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.MetricsListen = "127.0.0.1:0" }))
	usernameTaken(t, ts, "nobody") // one GraphQL request, so the route's counter exists
	metricsURL := ts.m.MetricsURL()
	if !strings.HasPrefix(metricsURL, "http://127.0.0.1:") || metricsURL == ts.url {
		t.Fatalf("MetricsURL() = %q, want an address of its own beside %s", metricsURL, ts.url)
	}

	req, _ := http.NewRequest(http.MethodGet, metricsURL+"/metrics", nil)
	res, body := roundTrip(t, req)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: status %d", metricsURL, res.StatusCode)
	}
	if want := `usergraph_http_requests_total{code="200",route="graphql"}`; !strings.Contains(body, want) {
		t.Errorf("the metrics listener's /metrics lacks %s", want)
	}
	if res, _ := getPath(t, ts, "/metrics"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the API port: status %d, want 404", res.StatusCode)
	}

	ts.stop()
	if res, err := http.Get(metricsURL + "/metrics"); err == nil {
		res.Body.Close()
		t.Errorf("the metrics listener still answers after Close")
	}
}
