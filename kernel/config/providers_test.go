package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "db.properties")
	os.WriteFile(props, []byte("# comment\n! also\ndb.user = app\ndb.password=s3=cret\nurl: jdbc:x\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(dir, "secrets", "pw"), []byte("from-dir"), 0o600)
	t.Setenv("TRIBUTARY_TEST_TOKEN", "tok")
	p := DefaultProviders()

	in := map[string]string{
		"user":     "${file:" + props + ":db.user}",
		"password": "${file:" + props + ":db.password}",
		"url":      "${file:" + props + ":url}",
		"token":    "Bearer ${env:TRIBUTARY_TEST_TOKEN}",
		"pw":       "${dir:" + filepath.Join(dir, "secrets") + ":pw}",
		"vault":    "${vault:secret/x:y}",
		"plain":    "no placeholders",
	}
	got, err := Resolve(in, p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"user": "app", "password": "s3=cret", "url": "jdbc:x", "token": "Bearer tok",
		"pw": "from-dir", "vault": "${vault:secret/x:y}", "plain": "no placeholders"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve:\n got  %v\n want %v", got, want)
	}
	if !strings.HasPrefix(in["user"], "${file:") {
		t.Error("Resolve modified its input")
	}

	for _, tt := range []struct {
		name string
		cfg  map[string]string
		p    Providers
		want string
	}{
		{"missing env", map[string]string{"a": "${env:TRIBUTARY_NOT_SET_ANYWHERE}"}, p,
			"config a: ${env:TRIBUTARY_NOT_SET_ANYWHERE}: environment variable TRIBUTARY_NOT_SET_ANYWHERE is not set"},
		{"missing key", map[string]string{"a": "${file:" + props + ":nope}"}, p,
			"config a: ${file:" + props + ":nope}: " + props + ` has no key "nope"`},
		{"dir key escaping the directory", map[string]string{"a": "${dir:" + dir + ":../x}"}, p,
			`config a: ${dir:` + dir + `:../x}: key "../x" must name a file directly inside ` + dir},
		{"outside the allowed paths", map[string]string{"a": "${file:/etc/hostname:x}"}, DefaultProviders(dir),
			"config a: ${file:/etc/hostname:x}: path \"/etc/hostname\" is not under the allowed paths " + dir},
		{"relative path", map[string]string{"a": "${file:db.properties:x}"}, p,
			`config a: ${file:db.properties:x}: path "db.properties" is not absolute`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(tt.cfg, tt.p)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n got  %v\n want %s", err, tt.want)
			}
		})
	}
	if got, err := Resolve(map[string]string{"a": "${file:" + props + ":db.user}"}, DefaultProviders(dir)); err != nil {
		t.Errorf("a file under the allowed path: %v", err)
	} else if got["a"] != "app" {
		t.Errorf("a file under the allowed path: a = %q, want %q", got["a"], "app")
	}
}
