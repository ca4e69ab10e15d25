// Copyright The resilientsink Authors
// SPDX-License-Identifier: Apache-2.0

package manifesttest // import "github.com/resilientsink/resilientsink/deploy/kubernetes/manifesttest"

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Instruction is one Dockerfile instruction with its continuation lines joined.
type Instruction struct {
	// Cmd is the instruction keyword in upper case (FROM, RUN, ...).
	Cmd string
	// Args is the rest of the instruction, with ARG and ENV values expanded.
	Args string
	// Line is the 1-based line where the instruction starts.
	Line int
}

// Stage is one FROM section of a Dockerfile.
type Stage struct {
	// From is the base image.
	From string
	// Name is the stage name (FROM ... AS name), or empty.
	Name string
	// Instructions lists the stage's instructions after FROM.
	Instructions []Instruction
	// Env holds the ARG defaults and ENV values in scope at the end of the stage.
	Env map[string]string
}

var (
	varRef  = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)
	kvToken = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)
)

// ParseDockerfile splits a Dockerfile into stages. It handles comments,
// backslash continuations, and ARG/ENV substitution of ${VAR} and $VAR (the
// subset the project's Dockerfile uses; heredocs are not supported).
func ParseDockerfile(data []byte) ([]Stage, error) {
	global := map[string]string{}
	var stages []Stage
	var cur strings.Builder
	start := 0
	lines := strings.Split(string(data), "\n")
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") || line == "" {
			continue // Docker also skips comment and blank lines inside a continuation
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(strings.TrimSpace(body) + " ")
			continue
		}
		cur.WriteString(line)
		text := cur.String()
		cur.Reset()
		cmd, args, _ := strings.Cut(text, " ")
		cmd = strings.ToUpper(cmd)
		args = strings.TrimSpace(args)
		env := global
		if len(stages) > 0 {
			env = stages[len(stages)-1].Env
		}
		args = varRef.ReplaceAllStringFunc(args, func(m string) string {
			sub := varRef.FindStringSubmatch(m)
			if v, ok := env[sub[1]+sub[2]]; ok {
				return v
			}
			return m
		})
		switch cmd {
		case "FROM":
			f := strings.Fields(args)
			st := Stage{From: f[0], Env: map[string]string{}}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.Name = f[2]
			}
			stages = append(stages, st)
			continue
		case "ARG", "ENV":
			for _, tok := range strings.Fields(args) {
				if m := kvToken.FindStringSubmatch(tok); m != nil {
					env[m[1]] = strings.Trim(m[2], `"`)
				}
			}
		}
		if len(stages) == 0 {
			if cmd != "ARG" {
				return nil, fmt.Errorf("line %d: %s before FROM", start, cmd)
			}
			continue
		}
		st := &stages[len(stages)-1]
		st.Instructions = append(st.Instructions, Instruction{Cmd: cmd, Args: args, Line: start})
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: continuation at end of file", start)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("no FROM instruction")
	}
	return stages, nil
}

// Find returns the stage's instructions with the given keyword.
func (s Stage) Find(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// ExecForm decodes a JSON-array (exec form) argument such as ENTRYPOINT's.
func ExecForm(args string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		return nil, fmt.Errorf("want exec form (JSON array), got %s", args)
	}
	return v, nil
}

// Makefile is what the checks read from the project's Makefile.
type Makefile struct {
	// Vars holds the simple `NAME := value` and `NAME ?= value` assignments.
	Vars map[string]string
	// Recipes maps a target to its recipe lines (tab removed).
	Recipes map[string][]string
}

var makeVar = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*(.*)$`)
var makeTarget = regexp.MustCompile(`^([A-Za-z0-9_.\-$()/]+)\s*:([^=].*)?$`)

// ParseMakefile reads variables and recipes from a Makefile.
func ParseMakefile(data []byte) Makefile {
	m := Makefile{Vars: map[string]string{}, Recipes: map[string][]string{}}
	target := ""
	for _, line := range strings.Split(string(data), "\n") {
		if r, ok := strings.CutPrefix(line, "\t"); ok && target != "" {
			m.Recipes[target] = append(m.Recipes[target], strings.TrimSpace(r))
			continue
		}
		target = ""
		if v := makeVar.FindStringSubmatch(line); v != nil {
			m.Vars[v[1]] = strings.TrimSpace(v[2])
		} else if t := makeTarget.FindStringSubmatch(line); t != nil {
			target = t[1]
		}
	}
	return m
}

// readFile reads a file, naming it in the error.
func readFile(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}
