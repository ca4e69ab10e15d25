// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package monitoringtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Dashboard is the part of a Grafana dashboard JSON model the checks read.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is one dashboard panel (rows are panels of type row).
type Panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	GridPos     GridPos     `json:"gridPos"`
	Datasource  *Datasource `json:"datasource"`
	Targets     []Target    `json:"targets"`
}

// GridPos places a panel on Grafana's 24-column grid.
type GridPos struct {
	H, W, X, Y int
}

// Datasource references a data source by type and uid.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Datasource *Datasource `json:"datasource"`
}

// Variable is one templating variable.
type Variable struct {
	Type       string      `json:"type"`
	Name       string      `json:"name"`
	Query      any         `json:"query"`
	Definition string      `json:"definition"`
	Datasource *Datasource `json:"datasource"`
	IncludeAll bool        `json:"includeAll"`
	AllValue   string      `json:"allValue"`
}

// MinSchemaVersion is the oldest dashboard schema the checks accept: the one
// Grafana 11.0 writes (current releases write 41 and migrate older ones).
const MinSchemaVersion = 39

// LoadDashboard reads a dashboard JSON file strictly enough to catch typos in
// the fields above (unknown fields elsewhere are Grafana's business).
func LoadDashboard(path string) (*Dashboard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// Validate checks the structure Grafana needs: identity and schema version,
// unique panel ids, grid positions inside 24 columns without overlap, every
// query panel on the ${datasource} Prometheus variable with at least one
// target, and the datasource variable of type datasource for prometheus.
func (d *Dashboard) Validate() error {
	var errs []error
	if d.UID == "" || d.Title == "" {
		errs = append(errs, errors.New("uid and title must be set"))
	}
	if d.SchemaVersion < MinSchemaVersion {
		errs = append(errs, fmt.Errorf("schemaVersion must be at least %d, got %d", MinSchemaVersion, d.SchemaVersion))
	}
	ids := map[int]bool{}
	var placed []Panel
	for _, p := range d.Panels {
		g := p.GridPos
		switch {
		case ids[p.ID]:
			errs = append(errs, fmt.Errorf("panel %q: id %d is used twice", p.Title, p.ID))
		case p.Type == "" || p.Title == "":
			errs = append(errs, fmt.Errorf("panel %d: type and title must be set", p.ID))
		case g.H <= 0 || g.W <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24:
			errs = append(errs, fmt.Errorf("panel %q: gridPos must lie inside 24 columns, got %+v", p.Title, g))
		}
		ids[p.ID] = true
		for _, q := range placed {
			if overlap(q.GridPos, g) {
				errs = append(errs, fmt.Errorf("panel %q overlaps panel %q", p.Title, q.Title))
			}
		}
		placed = append(placed, p)
		if p.Type == "row" {
			continue
		}
		if !isPromVar(p.Datasource) {
			errs = append(errs, fmt.Errorf("panel %q: datasource must be prometheus ${datasource}, got %+v", p.Title, p.Datasource))
		}
		if len(p.Targets) == 0 {
			errs = append(errs, fmt.Errorf("panel %q has no targets", p.Title))
		}
		for _, t := range p.Targets {
			if t.RefID == "" || strings.TrimSpace(t.Expr) == "" || !isPromVar(t.Datasource) {
				errs = append(errs, fmt.Errorf("panel %q: target %q needs refId, expr and the ${datasource} datasource", p.Title, t.RefID))
			}
		}
	}
	if v, ok := d.Variable("datasource"); !ok || v.Type != "datasource" || v.Query != "prometheus" {
		errs = append(errs, fmt.Errorf("variable datasource must be of type datasource with query prometheus, got %+v", v))
	}
	return errors.Join(errs...)
}

func overlap(a, b GridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func isPromVar(ds *Datasource) bool {
	return ds != nil && ds.Type == "prometheus" && ds.UID == "${datasource}"
}

// Variable returns the templating variable called name.
func (d *Dashboard) Variable(name string) (Variable, bool) {
	for _, v := range d.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// labelValuesRE matches a Grafana label_values(selector, label) query.
var labelValuesRE = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// LabelValues splits a query variable's label_values(selector, label)
// definition into the selector (a PromQL expression) and the label.
func (v Variable) LabelValues() (selector, label string, err error) {
	m := labelValuesRE.FindStringSubmatch(strings.TrimSpace(v.Definition))
	if m == nil {
		return "", "", fmt.Errorf("variable %s: definition must be label_values(selector, label), got %q", v.Name, v.Definition)
	}
	return m[1], m[2], nil
}

// grafanaVar matches $name, ${name} and ${name:format}.
var grafanaVar = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)`)

// Substitute replaces the Grafana variables of a query with values, as
// Grafana does before it sends the query. A variable missing from values is
// an error, so an expression never reaches the PromQL parser with a $ left.
func Substitute(expr string, values map[string]string) (string, error) {
	var missing []string
	out := grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown grafana variables %v in %q", missing, expr)
	}
	return out, nil
}
