package e2e

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// docs/alerts.yml: valid Prometheus rules that fire when they should
// (promtool, where installed), on metrics the server exposes.

func TestAlertRules(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus): docs/alerts.yml not checked")
	}
	for _, args := range [][]string{
		{"check", "rules", "../docs/alerts.yml"},
		{"test", "rules", "testdata/alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}

// Every usergraph metric an alert reads is one the server exposes, so that
// a renamed metric cannot leave an alert that never fires.
func TestAlertsReadExposedMetrics(t *testing.T) {
	t.Parallel()
	_, body := metricsAfterActivity(t)
	rules := readRepoFile(t, "docs/alerts.yml")
	names := regexp.MustCompile(`usergraph_[a-z_]+`).FindAllString(rules, -1)
	if len(names) < 5 {
		t.Fatalf("found %d metric names in docs/alerts.yml; the pattern no longer matches them", len(names))
	}
	for _, n := range names {
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")
		if !strings.Contains(body, "# TYPE "+family+" ") {
			t.Errorf("docs/alerts.yml reads %s, which /metrics does not expose", n)
		}
	}
}
