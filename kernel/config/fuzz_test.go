package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	pluginv1 "github.com/tributary-dev/tributary/proto/tributary/plugin/v1"
)

// Configs and the files their placeholders name come from users: parsing, resolving and
// validating them may refuse, never panic.

func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{"# c\n! c\na=b\nc: d\n e = f \nflag\n", "=v\n:v\na==b\n", "k=v\r\nk2=v2", "\x00=\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		props := parseProperties(data)
		for k, v := range props {
			if k != strings.TrimSpace(k) || v != strings.TrimSpace(v) {
				t.Fatalf("parseProperties(%q): %q=%q keeps blanks around the key or value", data, k, v)
			}
			if strings.ContainsAny(k, "\n") || strings.ContainsAny(v, "\n") {
				t.Fatalf("parseProperties(%q): %q=%q spans lines", data, k, v)
			}
		}
		// A key written alone on a line as key=value reads back as that value.
		if len(props) == 0 {
			return
		}
		for k, v := range props {
			if k == "" || strings.ContainsAny(k, "=:#!") || strings.ContainsAny(k+v, "\r\n") {
				continue
			}
			if got := parseProperties([]byte(k + "=" + v + "\n"))[k]; got != v {
				t.Fatalf("%q=%q written and read back as %q", k, v, got)
			}
		}
	})
}

func FuzzResolve(f *testing.F) {
	dir := f.TempDir()
	props := filepath.Join(dir, "p.properties")
	if err := os.WriteFile(props, []byte("user=app\npw=s3=cret\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"${file:" + props + ":user}", "x ${env:TRIBUTARY_FUZZ_ENV} y", "${dir:" + dir + ":p.properties}",
		"${vault:a:b}", "${file:relative:x}", "${dir:" + dir + ":../etc}", "${}", "${:}", "$${env:A}", "plain", "${env:${env:A}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		t.Setenv("TRIBUTARY_FUZZ_ENV", "from-env")
		got, err := Resolve(map[string]string{"k": v}, DefaultProviders(dir))
		if !strings.Contains(v, "${") {
			if err != nil || got["k"] != v {
				t.Fatalf("Resolve(%q) = %q, %v; a value with no placeholder must come back as it is", v, got["k"], err)
			}
			return
		}
		if err != nil {
			// The error names the key and the placeholder, never a resolved value.
			if !strings.HasPrefix(err.Error(), "config k: ${") {
				t.Fatalf("Resolve(%q) error %q does not name the key and placeholder", v, err)
			}
			if strings.Contains(err.Error(), "s3=cret") {
				t.Fatalf("Resolve(%q) error shows a secret: %v", v, err)
			}
		}
	})
}

func FuzzValidate(f *testing.F) {
	desc := &pluginv1.ConnectorDescriptor{Type: pluginv1.ConnectorType_CONNECTOR_TYPE_SINK, Config: []*pluginv1.ConfigKey{
		{Name: "file", Type: pluginv1.ConfigKey_TYPE_STRING, Required: true},
		{Name: "batch", Type: pluginv1.ConfigKey_TYPE_INT, HasDefault: true, DefaultValue: "10"},
		{Name: "password", Type: pluginv1.ConfigKey_TYPE_PASSWORD, Secret: true},
	}}
	f.Add("connector.class=FileStreamSink\ntopics=a\nfile=/x\nbatch=5")
	f.Add("topics=a\ntopics.regex=b\ntasks.max=-1\nvalue.converter=nope\nbatch=x")
	f.Add("transforms=a\ntransforms.a.type=org.apache.kafka.connect.transforms.InsertField$Value\nkey.converter=json\nkey.converter.schemas.enable=maybe")
	f.Add("errors.tolerance=some\nerrors.deadletterqueue.topic.name=a\ntopics=a\nfile=${env:X}\npassword=p")
	f.Fuzz(func(t *testing.T, lines string) {
		cfg := map[string]string{}
		for line := range strings.SplitSeq(lines, "\n") {
			k, v, _ := strings.Cut(line, "=")
			cfg[k] = v
		}
		for _, e := range Validate(desc, cfg) {
			if e.Message == "" {
				t.Fatalf("Validate(%q): an error says nothing: %+v", cfg, e)
			}
		}
		Effective(desc, cfg)
		Mask(desc, cfg)
		TasksMax(cfg)
	})
}
