// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const (
	rulesFile      = "../prometheus/resilientsink-rules.yaml"
	dashboardFile  = "../grafana/resilientsink.json"
	componentDir   = "../kubernetes/components/monitoring"
	readmeFile     = "../../README.md"
	runbookPrefix  = "https://github.com/resilientsink/resilientsink/blob/main/README.md#"
	runbookSection = "operating-resilientsink"
)

// requiredAlerts are the alerts issue 13 asks for.
var requiredAlerts = []string{
	"ResilientSinkItemsDropped",         // dropped for any reason but expired
	"ResilientSinkBreakerOpen",          // breaker open for longer than N minutes
	"ResilientSinkQueueNearMemoryLimit", // queue above 80% of its memory limit
	"ResilientSinkQueueOldestAgeHigh",   // oldest age above a threshold
	"FileSinkWriteErrors",               // filesink write errors
	"ResilientSinkRefusing",             // refusals under reject or block
	"ResilientSinkDiskNearLimit",        // persistence: queue on disk near its budget
}

// parseVars are the values the Grafana variables get before a query is
// parsed: what Grafana sends with every variable on "All".
var parseVars = map[string]string{
	"__rate_interval": "1m", "__interval": "1m", "__range": "1h",
	"cluster": ".*", "namespace": ".*", "job": ".*", "instance": ".*",
	"pipeline": ".*", "processor": ".*", "reason": ".*", "gomemlimit_mib": "320",
}

// TestRulesValidate: the rules file passes Prometheus' own rule-file
// validation, holds the required alerts, and every alert has a severity, a
// summary, a description and a runbook_url pointing at a heading of the
// README's operating section.
func TestRulesValidate(t *testing.T) {
	alerts, err := LoadRules(rulesFile)
	require.NoError(t, err)
	anchors := readmeAnchors(t)
	require.True(t, anchors[runbookSection], "README.md has a section Operating resilientsink")
	names := map[string]bool{}
	for _, a := range alerts {
		assert.False(t, names[a.Name], "alert %s defined twice", a.Name)
		names[a.Name] = true
		assert.Contains(t, []string{"critical", "warning"}, a.Labels["severity"], "%s: severity", a.Name)
		for _, k := range []string{"summary", "description", "runbook_url"} {
			assert.NotEmpty(t, a.Annotations[k], "%s: annotation %s", a.Name, k)
		}
		anchor, ok := strings.CutPrefix(a.Annotations["runbook_url"], runbookPrefix)
		if assert.True(t, ok, "%s: runbook_url starts with %s", a.Name, runbookPrefix) {
			assert.True(t, anchors[anchor], "%s: README.md has a heading with anchor #%s", a.Name, anchor)
			assert.Equal(t, strings.ToLower(a.Name), anchor, "%s: the runbook heading is the alert's name", a.Name)
		}
	}
	for _, n := range requiredAlerts {
		assert.True(t, names[n], "required alert %s", n)
	}
}

// TestDashboardValidates: the dashboard has the structure Grafana needs, the
// instance, pipeline and processor query variables, and every query (panel
// targets and variable selectors) parses as PromQL once the Grafana variables
// are substituted.
func TestDashboardValidates(t *testing.T) {
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	require.NoError(t, d.Validate())
	for _, name := range []string{"cluster", "namespace", "job", "instance", "pipeline", "processor"} {
		v, ok := d.Variable(name)
		if !assert.True(t, ok, "variable %s", name) {
			continue
		}
		assert.Equal(t, "query", v.Type, "variable %s", name)
		assert.True(t, v.IncludeAll, "variable %s offers All", name)
		assert.Equal(t, ".*", v.AllValue, "variable %s: All also matches series without the label", name)
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		sel, _, lerr := v.LabelValues()
		require.NoError(t, lerr)
		_, perr := parseWithVars(sel)
		require.NoError(t, perr, "variable %s", v.Name)
		if slices.Contains([]string{"cluster", "namespace", "job", "instance"}, v.Name) {
			// A counter is absent until it is used; the process series is
			// there from the collector's start, with or without traffic.
			assert.True(t, strings.HasPrefix(sel, "otelcol_process_uptime"), "variable %s lists the values of otelcol_process_uptime, got %s", v.Name, sel)
		}
	}
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			_, perr := parseWithVars(tg.Expr)
			require.NoError(t, perr, "panel %q target %s", p.Title, tg.RefID)
			n++
		}
	}
	assert.GreaterOrEqual(t, n, 20, "the dashboard's queries")
}

// TestSubstituteRejectsUnknownVariables: a variable the dashboard does not
// define never reaches the parser as a literal $.
func TestSubstituteRejectsUnknownVariables(t *testing.T) {
	_, err := Substitute(`rate(x{a=~"$nope"}[$__rate_interval])`, parseVars)
	require.EqualError(t, err, `unknown grafana variables [nope] in "rate(x{a=~\"$nope\"}[$__rate_interval])"`)
	got, err := Substitute(`rate(x{a=~"${instance}"}[$__rate_interval])`, parseVars)
	require.NoError(t, err)
	assert.Equal(t, `rate(x{a=~".*"}[1m])`, got)
}

// TestPrometheusRuleWrapsRulesFile: the PrometheusRule of the kustomize
// component carries exactly the groups of the rules file.
func TestPrometheusRuleWrapsRulesFile(t *testing.T) {
	var file, cr struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Groups any `yaml:"groups"`
		} `yaml:"spec"`
		Groups any `yaml:"groups"`
	}
	b, err := os.ReadFile(rulesFile)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &file))
	b, err = os.ReadFile(componentDir + "/prometheusrule.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &cr))
	require.Equal(t, "PrometheusRule", cr.Kind)
	require.NotNil(t, file.Groups)
	assert.Equal(t, file.Groups, cr.Spec.Groups, "prometheusrule.yaml spec.groups must equal %s groups", rulesFile)
}

func parseWithVars(expr string) (string, error) {
	e, err := Substitute(expr, parseVars)
	if err != nil {
		return "", err
	}
	_, err = Parser.ParseExpr(e)
	return e, err
}

var slugDrop = regexp.MustCompile(`[^a-z0-9 _-]`)

// readmeAnchors returns the GitHub anchors of the README's headings.
func readmeAnchors(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(readmeFile)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	inFence := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug := strings.ReplaceAll(slugDrop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")
		out[slug] = true
	}
	require.NoError(t, sc.Err())
	return out
}

// TestDropsAndDeadLettersApart: a dead letter is kept, not lost, so
// ResilientSinkItemsDropped and the Dropped panel read dropped_items only,
// and ResilientSinkDeadLetters and the Dead letters panel never read it.
func TestDropsAndDeadLettersApart(t *testing.T) {
	alerts, err := LoadRules(rulesFile)
	require.NoError(t, err)
	d, err := LoadDashboard(dashboardFile)
	require.NoError(t, err)
	exprs := map[string][]string{}
	for _, a := range alerts {
		exprs["alert "+a.Name] = append(exprs["alert "+a.Name], a.Expr)
	}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			e, serr := Substitute(tg.Expr, parseVars)
			require.NoError(t, serr)
			exprs["panel "+p.Title] = append(exprs["panel "+p.Title], e)
		}
	}
	names := func(key string) []string {
		require.NotEmpty(t, exprs[key], key)
		var out []string
		for _, e := range exprs[key] {
			n, nerr := MetricNames(e)
			require.NoError(t, nerr, key)
			out = append(out, n...)
		}
		return out
	}
	dropped := []string{"otelcol_processor_resilientsink_dropped_items"}
	assert.Equal(t, dropped, names("alert ResilientSinkItemsDropped"))
	assert.Equal(t, dropped, names("panel Dropped items/s by reason"))
	assert.NotContains(t, names("alert ResilientSinkDeadLetters"), dropped[0])
	assert.Equal(t, []string{"otelcol_processor_resilientsink_dead_lettered_items"}, names("panel Dead letters kept/s by reason"))
}
