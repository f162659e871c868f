package security

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func testCredentials(t *testing.T) *Credentials {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("carol-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredentials([]byte("# users\nalice: alice-pw,admin\n! bob reads\nbob=bob-pw,read-only\ncarol:" + string(hash) + "\n\ndave: dave-pw\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseCredentials(t *testing.T) {
	c := testCredentials(t)
	for _, tc := range []struct {
		user, pw string
		role     Role
		ok       bool
	}{
		{"alice", "alice-pw", RoleAdmin, true},
		{"bob", "bob-pw", RoleReadOnly, true},
		{"carol", "carol-pw", RoleAdmin, true},
		{"dave", "dave-pw", RoleAdmin, true},
		{"alice", "bob-pw", "", false},
		{"carol", "$2a$", "", false},
		{"eve", "alice-pw", "", false},
	} {
		role, ok := c.Authenticate(tc.user, tc.pw)
		if ok != tc.ok || role != tc.role {
			t.Errorf("Authenticate(%s, %s) = %q %v, want %q %v", tc.user, tc.pw, role, ok, tc.role, tc.ok)
		}
	}
	if r, ok := c.AuthenticateToken("bob-pw"); !ok || r != RoleReadOnly {
		t.Errorf("token bob-pw: %q %v", r, ok)
	}
	if r, ok := c.AuthenticateToken("carol-pw"); !ok || r != RoleAdmin {
		t.Errorf("token carol-pw (bcrypt): %q %v", r, ok)
	}
	if _, ok := c.AuthenticateToken("nope"); ok {
		t.Error("an unknown token was accepted")
	}
	for in, want := range map[string]string{
		"":                        "no users",
		"alice\n":                 "line 1: want user: password",
		"a: x\na: y\n":            `line 2: user "a" is listed twice`,
		"a: secret-x,superuser\n": `role "superuser"`,
		"a:\n":                    "empty password",
		"a: MD5:abc\n":            "bcrypt",
		"a: $2y$10$short\n":       "bcrypt hash is malformed",
		"a b: secret-x\n":         "has a space",
	} {
		_, err := ParseCredentials([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCredentials(%q): %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-x") {
			t.Errorf("ParseCredentials(%q): the error shows the password: %v", in, err)
		}
	}
}

// FuzzParseCredentials: no input panics, and every user an accepted file lists with a
// plain password authenticates with it.
func FuzzParseCredentials(f *testing.F) {
	f.Add("alice: pw,admin\nbob=pw2,read-only\n# c\n")
	f.Add("carol:$2y$04$abcdefghijklmnopqrstuu5Vq2kO0yQ8Q9mE5p4ZQ3Jv6dE0h3m2a\n")
	f.Add("a: b,,\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCredentials([]byte(s))
		if err != nil {
			return
		}
		for name, cr := range c.users {
			if cr.bcrypt {
				continue
			}
			if _, ok := c.Authenticate(name, string(cr.secret)); !ok {
				t.Fatalf("user %q does not authenticate with its own password", name)
			}
			if cr.role != RoleAdmin && cr.role != RoleReadOnly {
				t.Fatalf("user %q has role %q", name, cr.role)
			}
		}
	})
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// TestBasicAuthHandler: over real HTTP, no credentials → 401 with WWW-Authenticate, a
// read-only user → 403 on POST but 200 on GET, an admin → through, /health open; CORS
// only when an origin is configured.
func TestBasicAuthHandler(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.Method) })
	a := &BasicAuth{Credentials: testCredentials(t), Realm: "connect"}
	srv := httptest.NewServer(CORS("https://ui.example", "", a.Handler(next)))
	defer srv.Close()
	do := func(method, path, auth, origin string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
			if method == http.MethodOptions {
				req.Header.Set("Access-Control-Request-Method", "POST")
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	for _, tc := range []struct {
		method, path, auth string
		want               int
	}{
		{"GET", "/connectors", "", 401},
		{"GET", "/connectors", basic("alice", "wrong"), 401},
		{"GET", "/connectors", "Basic !!!", 401},
		{"GET", "/connectors", basic("bob", "bob-pw"), 200},
		{"HEAD", "/connectors", basic("bob", "bob-pw"), 200},
		{"POST", "/connectors", basic("bob", "bob-pw"), 403},
		{"DELETE", "/connectors/x", "Bearer bob-pw", 403},
		{"POST", "/connectors", basic("alice", "alice-pw"), 200},
		{"PUT", "/connectors/x/config", "Bearer alice-pw", 200},
		{"POST", "/connectors", basic("carol", "carol-pw"), 200},
		{"GET", "/health", "", 200},
	} {
		res := do(tc.method, tc.path, tc.auth, "")
		if res.StatusCode != tc.want {
			t.Errorf("%s %s (%q): %d, want %d", tc.method, tc.path, tc.auth, res.StatusCode, tc.want)
		}
		if tc.want == 401 && res.Header.Get("WWW-Authenticate") != `Basic realm="connect", charset="UTF-8"` {
			t.Errorf("401 without the WWW-Authenticate header: %q", res.Header.Get("WWW-Authenticate"))
		}
	}
	res := do("OPTIONS", "/connectors", "", "https://ui.example")
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://ui.example" || res.Header.Get("Access-Control-Allow-Methods") != "GET,POST,HEAD" {
		t.Errorf("preflight from the allowed origin: %d %v", res.StatusCode, res.Header)
	}
	if res := do("OPTIONS", "/connectors", "", "https://evil.example"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin got CORS headers: %v", res.Header)
	}
	plain := httptest.NewServer(CORS("", "", next))
	defer plain.Close()
	req, _ := http.NewRequest("GET", plain.URL, nil)
	req.Header.Set("Origin", "https://ui.example")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS headers without access.control.allow.origin")
	}
}

// TestGRPCAuth drives the interceptors as the server does: reflection and health are
// open, reads need a read-only or admin caller, writes an admin.
func TestGRPCAuth(t *testing.T) {
	a := &GRPCAuth{Credentials: testCredentials(t)}
	unary := a.UnaryInterceptor()
	call := func(method, auth string) codes.Code {
		ctx := context.Background()
		if auth != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", auth))
		}
		_, err := unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) { return "ok", nil })
		return status.Code(err)
	}
	const svc = "/tributary.admin.v1.Admin/"
	for _, tc := range []struct {
		method, auth string
		want         codes.Code
	}{
		{"/grpc.health.v1.Health/Check", "", codes.OK},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "", codes.OK},
		{svc + "ListConnectors", "", codes.Unauthenticated},
		{svc + "ListConnectors", "Bearer wrong", codes.Unauthenticated},
		{svc + "ListConnectors", "Bearer bob-pw", codes.OK},
		{svc + "GetConnectorStatus", basic("bob", "bob-pw"), codes.OK},
		{svc + "ValidateConfig", "Bearer bob-pw", codes.OK},
		{svc + "CreateConnector", "Bearer bob-pw", codes.PermissionDenied},
		{svc + "RaftRemovePeer", basic("bob", "bob-pw"), codes.PermissionDenied},
		{svc + "CreateConnector", "Bearer alice-pw", codes.OK},
		{svc + "DeleteConnector", basic("carol", "carol-pw"), codes.OK},
	} {
		if got := call(tc.method, tc.auth); got != tc.want {
			t.Errorf("%s with %q: %s, want %s", tc.method, tc.auth, got, tc.want)
		}
	}
	stream := a.StreamInterceptor()
	err := stream(nil, fakeStream{ctx: context.Background()}, &grpc.StreamServerInfo{FullMethod: svc + "WatchConnectors"}, func(any, grpc.ServerStream) error { return nil })
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("stream without credentials: %v", err)
	}
}

type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (f fakeStream) Context() context.Context { return f.ctx }
