package security

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// BasicAuth is HTTP middleware that authenticates every request with Basic credentials
// (or a bearer token) from a credentials file, as Kafka Connect's
// BasicAuthSecurityRestExtension: a missing or wrong credential gets 401 with
// WWW-Authenticate, a read-only user gets 403 for anything but GET, HEAD and OPTIONS, and
// the paths in Open (default /health) need no credentials.
type BasicAuth struct {
	Credentials *Credentials
	// Realm is named in WWW-Authenticate (default "Tributary").
	Realm string
	// Open lists paths served without credentials; nil means /health.
	Open []string
}

// Handler wraps next.
func (a *BasicAuth) Handler(next http.Handler) http.Handler {
	realm := a.Realm
	if realm == "" {
		realm = "Tributary"
	}
	open := a.Open
	if open == nil {
		open = []string{"/health"}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range open {
			if r.URL.Path == p || r.URL.Path == p+"/" {
				next.ServeHTTP(w, r)
				return
			}
		}
		role, ok := a.authenticate(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "authentication required: send Basic credentials from the REST credentials file")
			return
		}
		if role != RoleAdmin && !readOnlyHTTP(r.Method) {
			writeError(w, http.StatusForbidden, "the user's role read-only may not "+r.Method+" "+r.URL.Path)
			return
		}
		// A request the node passes on to another node's admin service (log levels with
		// scope=cluster, members through the leader) carries the same credentials.
		next.ServeHTTP(w, r.WithContext(withAuthorization(r.Context(), r.Header.Get("Authorization"))))
	})
}

func (a *BasicAuth) authenticate(header string) (Role, bool) {
	return authenticateHeader(a.Credentials, header)
}

// authenticateHeader checks an Authorization value: "Basic base64(user:password)" or
// "Bearer TOKEN".
func authenticateHeader(c *Credentials, header string) (Role, bool) {
	scheme, value, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || c == nil {
		return "", false
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", false
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return "", false
		}
		return c.Authenticate(user, pass)
	case "bearer":
		return c.AuthenticateToken(value)
	}
	return "", false
}

func readOnlyHTTP(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// writeError answers in Kafka Connect's error shape.
func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_code": code, "message": msg})
}

// CORS is HTTP middleware for Kafka Connect's access.control.allow.origin and
// access.control.allow.methods: with allowOrigin empty it returns next unchanged (CORS
// off); otherwise it answers preflight requests itself (before any authentication, as
// browsers send no credentials there) and marks the answers to allowed origins.
// allowOrigin is "*" or a comma-separated list of origins; allowMethods defaults to
// GET,POST,HEAD as upstream's.
func CORS(allowOrigin, allowMethods string, next http.Handler) http.Handler {
	if strings.TrimSpace(allowOrigin) == "" {
		return next
	}
	if strings.TrimSpace(allowMethods) == "" {
		allowMethods = "GET,POST,HEAD"
	}
	var origins []string
	for _, o := range strings.Split(allowOrigin, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	allowed := func(origin string) bool {
		for _, o := range origins {
			if o == "*" || strings.EqualFold(o, origin) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !allowed(origin) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Set("Access-Control-Allow-Methods", allowMethods)
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
