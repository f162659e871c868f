package main

// An in-process JSON API for the tests: items per entity, served by offset, after an id
// (chaining), by page cursor, behind basic, bearer or OAuth2 auth, with faults queued
// on demand (statuses with Retry-After, slow answers, malformed bodies).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type item struct {
	ID     int    `json:"id"`
	Entity string `json:"entity"`
	Name   string `json:"name"`
}

// fault is an answer served instead of the real one.
type fault struct {
	status     int
	retryAfter string
	body       string
	block      chan struct{} // when set, the answer waits for it to close (or the client to go)
}

type api struct {
	t        *testing.T
	srv      *httptest.Server
	pageSize int

	mu       sync.Mutex
	items    map[string][]item
	faults   []fault
	requests []string    // paths with queries, in order
	times    []time.Time // when each request came
	// Auth the API wants: "" none, "basic", "bearer", "oauth2".
	auth         string
	user, pass   string
	bearer       string
	clientID     string
	clientSecret string
	tokens       map[string]bool
	tokenCalls   int
	tokenScope   string
}

func newAPI(t *testing.T) *api {
	a := &api{t: t, pageSize: 10, items: map[string][]item{}, tokens: map[string]bool{}}
	a.srv = httptest.NewServer(a)
	t.Cleanup(a.srv.Close)
	return a
}

// add appends n items to entity, numbered on from the last.
func (a *api) add(entity string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		id := len(a.items[entity])
		a.items[entity] = append(a.items[entity], item{ID: id, Entity: entity, Name: fmt.Sprintf("%s-%d", entity, id)})
	}
}

func (a *api) queue(f ...fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = append(a.faults, f...)
}

func (a *api) requestLog() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.requests...)
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		a.token(w, r)
		return
	}
	a.mu.Lock()
	a.requests = append(a.requests, r.URL.RequestURI())
	a.times = append(a.times, time.Now())
	if !a.authorized(r) {
		a.mu.Unlock()
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	var f *fault
	if len(a.faults) > 0 {
		f = &a.faults[0]
		a.faults = a.faults[1:]
	}
	a.mu.Unlock()
	if f != nil {
		if f.block != nil {
			select {
			case <-f.block:
			case <-r.Context().Done():
				return
			}
		}
		if f.status != 0 {
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			w.WriteHeader(f.status)
			fmt.Fprint(w, f.body)
			return
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	entity := ""
	if len(parts) > 1 {
		entity = parts[1]
	}
	all := a.items[entity]
	q := r.URL.Query()
	switch parts[0] {
	case "inc": // ?offset=N: the items from index N, a page at most
		n, err := strconv.Atoi(q.Get("offset"))
		if err != nil {
			http.Error(w, "bad offset", http.StatusBadRequest)
			return
		}
		writeJSON(w, page(all, n, a.pageSize))
	case "chain": // ?after=ID (or a POST body {"after": ID}): {"data": [items with a larger id]}
		after := q.Get("after")
		if r.Method == http.MethodPost {
			var b struct{ After json.Number }
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
				http.Error(w, "bad body: "+err.Error(), http.StatusBadRequest)
				return
			}
			after = b.After.String()
		}
		n := 0
		if after != "" {
			id, err := strconv.Atoi(after)
			if err != nil {
				http.Error(w, "bad after", http.StatusBadRequest)
				return
			}
			n = id + 1
		}
		writeJSON(w, map[string]any{"data": page(all, n, a.pageSize)})
	case "cursor": // ?cursor=cN: {"data": [page from N], "meta": {"next": "cM"} while there are more}
		n := 0
		if c := q.Get("cursor"); c != "" {
			var err error
			if n, err = strconv.Atoi(strings.TrimPrefix(c, "c")); err != nil {
				http.Error(w, "bad cursor", http.StatusBadRequest)
				return
			}
		}
		p := page(all, n, a.pageSize)
		meta := map[string]any{}
		if n+len(p) < len(all) {
			meta["next"] = "c" + strconv.Itoa(n+len(p))
		}
		writeJSON(w, map[string]any{"data": p, "meta": meta})
	default:
		http.NotFound(w, r)
	}
}

func page(all []item, from, size int) []item {
	if from >= len(all) {
		return []item{}
	}
	return all[from:min(from+size, len(all))]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// authorized checks the request's credentials against what the API wants (a.mu held).
func (a *api) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	switch a.auth {
	case "basic":
		u, p, ok := r.BasicAuth()
		return ok && u == a.user && p == a.pass
	case "bearer":
		return h == "Bearer "+a.bearer
	case "oauth2":
		tok, ok := strings.CutPrefix(h, "Bearer ")
		return ok && a.tokens[tok]
	}
	return true
}

// token is a client-credentials token endpoint (RFC 6749 4.4), client authentication
// by HTTP Basic or form fields.
func (a *api) token(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokenCalls++
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != a.clientID || secret != a.clientSecret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	a.tokenScope = r.PostForm.Get("scope")
	tok := fmt.Sprintf("tok-%d", a.tokenCalls)
	a.tokens[tok] = true
	writeJSON(w, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": 3600})
}

// revokeTokens makes every token issued so far invalid.
func (a *api) revokeTokens() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens = map[string]bool{}
}
