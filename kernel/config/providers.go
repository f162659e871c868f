package config

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Provider supplies the values of config placeholders of one alias: ${alias:path:key}, or
// ${alias:key} with an empty path, as Kafka Connect's ConfigProvider does.
type Provider interface {
	Get(path, key string) (string, error)
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(path, key string) (string, error)

// Get implements Provider.
func (f ProviderFunc) Get(path, key string) (string, error) { return f(path, key) }

// Providers maps an alias (file, env, dir, …) to its provider.
type Providers map[string]Provider

// DefaultProviders returns Kafka Connect's three providers:
//
//   - ${file:/etc/x.properties:db.password}: a key of a Java properties file
//     (key=value or key: value lines, # and ! comments);
//   - ${env:VAR}: an environment variable;
//   - ${dir:/run/secrets:pw}: the content of the file pw in a directory.
//
// With allowedPaths, the file and dir providers read only under those directories
// (upstream's allowed.paths); with none, anywhere.
func DefaultProviders(allowedPaths ...string) Providers {
	allowed := func(p string) error {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("path %q is not absolute", p)
		}
		if len(allowedPaths) == 0 {
			return nil
		}
		p = filepath.Clean(p)
		for _, a := range allowedPaths {
			a = filepath.Clean(a)
			if p == a || strings.HasPrefix(p, a+string(filepath.Separator)) {
				return nil
			}
		}
		return fmt.Errorf("path %q is not under the allowed paths %s", p, strings.Join(allowedPaths, ", "))
	}
	return Providers{
		"env": ProviderFunc(func(path, key string) (string, error) {
			if path != "" {
				return "", fmt.Errorf("the env provider takes no path: write ${env:%s}", key)
			}
			v, ok := os.LookupEnv(key)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", key)
			}
			return v, nil
		}),
		"file": ProviderFunc(func(path, key string) (string, error) {
			if err := allowed(path); err != nil {
				return "", err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return "", err
			}
			props := parseProperties(data)
			v, ok := props[key]
			if !ok {
				return "", fmt.Errorf("%s has no key %q", path, key)
			}
			return v, nil
		}),
		"dir": ProviderFunc(func(path, key string) (string, error) {
			if strings.ContainsAny(key, `/\`) || key == ".." || key == "." || key == "" {
				return "", fmt.Errorf("key %q must name a file directly inside %s", key, path)
			}
			if err := allowed(path); err != nil {
				return "", err
			}
			data, err := os.ReadFile(filepath.Join(path, key))
			if err != nil {
				return "", err
			}
			return string(data), nil
		}),
	}
}

// parseProperties reads the common subset of Java properties files: one key=value (or
// key: value) per line, blanks around them trimmed, # and ! lines comments.
func parseProperties(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			out[line] = ""
			continue
		}
		out[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return out
}

// placeholder is Kafka Connect's ConfigTransformer pattern: ${alias:[path:]key}.
var placeholder = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

// Resolve returns a copy of cfg with every placeholder of a known alias replaced by its
// value. Placeholders of an alias providers does not know are left as written, as
// upstream does. A placeholder that cannot be resolved is an error naming the config
// key and the placeholder, never a value. Configs are stored unresolved; a task's config
// is resolved when the task starts.
func Resolve(cfg map[string]string, providers Providers) (map[string]string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		var ferr error
		out[k] = placeholder.ReplaceAllStringFunc(v, func(m string) string {
			sub := placeholder.FindStringSubmatch(m)
			p := providers[sub[1]]
			if p == nil || ferr != nil {
				return m
			}
			val, err := p.Get(sub[3], sub[4])
			if err != nil {
				ferr = fmt.Errorf("config %s: %s: %w", k, m, err)
				return m
			}
			return val
		})
		if ferr != nil {
			return nil, ferr
		}
	}
	return out, nil
}
