// render-chart renders a Helm chart's templates with Go's text/template — the engine Helm uses — and the few Helm
// functions this project's chart uses, implemented here (Helm itself is not packaged for Debian). Values and
// Chart.yaml are given as JSON (converted from YAML by the calling script). It is a test tool: it refuses any
// function it does not know, so a template that would need real Helm fails loudly instead of rendering wrongly.
//
// Usage: render-chart CHART_DIR VALUES_JSON CHART_JSON RELEASE NAMESPACE
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: render-chart CHART_DIR VALUES_JSON CHART_JSON RELEASE NAMESPACE")
		os.Exit(64)
	}
	dir, valuesFile, chartFile, release, namespace := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	values := map[string]interface{}{}
	chart := map[string]interface{}{}
	must(readJSON(valuesFile, &values))
	must(readJSON(chartFile, &chart))
	root := template.New("chart").Option("missingkey=zero")
	var current *template.Template
	funcs := template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			var buffer bytes.Buffer
			err := current.ExecuteTemplate(&buffer, name, data)
			return buffer.String(), err
		},
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"indent":  indent,
		"toYaml":  func(v interface{}) (string, error) { b, err := json.Marshal(v); return string(b), err },
		"toJson":  func(v interface{}) (string, error) { b, err := json.Marshal(v); return string(b), err },
		"quote":   func(v interface{}) string { return fmt.Sprintf("%q", fmt.Sprint(v)) },
		"b64enc":  func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"sha256sum": func(s string) string {
			sum := sha256.Sum256([]byte(s))
			return fmt.Sprintf("%x", sum)
		},
		"required": func(message string, v interface{}) (interface{}, error) {
			if v == nil || v == "" {
				return nil, errors.New(message)
			}
			return v, nil
		},
		"fail":       func(message string) (string, error) { return "", errors.New(message) },
		"trunc":      func(n int, s string) string { if len(s) > n { return s[:n] }; return s },
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"hasPrefix":  func(prefix, s string) bool { return strings.HasPrefix(s, prefix) },
		"int":        func(v interface{}) int { switch n := v.(type) { case float64: return int(n); case int: return n }; return 0 },
		"max": func(a interface{}, b interface{}) int {
			x, y := toInt(a), toInt(b)
			if x > y { return x }
			return y
		},
	}
	root.Funcs(funcs)
	current = root
	files, err := filepath.Glob(filepath.Join(dir, "templates", "*"))
	must(err)
	sort.Strings(files)
	for _, file := range files {
		text, err := os.ReadFile(file)
		must(err)
		_, err = root.New(filepath.Base(file)).Parse(string(text))
		must(err)
	}
	data := map[string]interface{}{
		"Values":  values,
		"Chart":   map[string]interface{}{"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]},
		"Release": map[string]interface{}{"Name": release, "Namespace": namespace, "Service": "Helm"},
	}
	for _, file := range files {
		name := filepath.Base(file)
		if strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".txt") {
			continue
		}
		var buffer bytes.Buffer
		if err := root.ExecuteTemplate(&buffer, name, data); err != nil {
			fmt.Fprintf(os.Stderr, "render-chart: %s: %v\n", name, err)
			os.Exit(1)
		}
		out := strings.ReplaceAll(buffer.String(), "<no value>", "")
		if strings.TrimSpace(out) == "" {
			continue
		}
		fmt.Printf("---\n# Source: %s/templates/%s\n%s\n", chart["name"], name, strings.TrimSpace(out))
	}
}

func toInt(v interface{}) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

func readJSON(path string, into interface{}) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "render-chart:", err)
		os.Exit(1)
	}
}
