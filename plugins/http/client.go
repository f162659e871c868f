package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// maxBody bounds what one response may hold; a larger one fails the task rather than
// the plugin's memory.
const maxBody = 64 << 20

// bodyPreview is how much of an unexpected body an error quotes.
const bodyPreview = 256

// request is one HTTP request, rendered from the templates for an entity's offset.
type request struct {
	method string
	url    string
	body   string
}

// response is a request's answer that the caller reads records from.
type response struct {
	status int
	body   []byte
	skip   bool // castorm: a status of http.response.policy.codes.skip, no records
}

// client sends the requests of one task: authentication, TLS, proxy, timeouts and the
// retry policy, whatever the offset mode.
type client struct {
	s    *settings
	http *http.Client
	log  hclog.Logger

	mu     sync.Mutex
	tokens oauth2.TokenSource // OAUTH2; replaced to force a new token after a 401

	// wait waits d or until ctx ends; tests need not replace it (intervals come from config).
	wait func(ctx context.Context, d time.Duration) error
}

func newClient(s *settings, log hclog.Logger) (*client, error) {
	tc, err := s.tls.tlsConfig()
	if err != nil {
		return nil, err
	}
	proxy := http.ProxyFromEnvironment
	if s.proxy != nil {
		proxy = http.ProxyURL(s.proxy)
	}
	tr := &http.Transport{
		Proxy:               proxy,
		DialContext:         (&net.Dialer{Timeout: s.connectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: s.connectTimeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	c := &client{s: s, http: &http.Client{Transport: tr, Timeout: s.requestTimeout}, log: log, wait: sleep}
	if s.auth.kind == authOAuth2 {
		c.tokens = c.newTokenSource()
	}
	return c, nil
}

// newTokenSource returns a caching client-credentials token source whose token requests
// go through the task's transport, with oauth2.client.headers on them.
func (c *client) newTokenSource() oauth2.TokenSource {
	a := c.s.auth
	cc := &clientcredentials.Config{ClientID: a.clientID, ClientSecret: a.clientSecret, TokenURL: a.tokenURL,
		AuthStyle: oauth2.AuthStyleInParams}
	if a.inHeader {
		cc.AuthStyle = oauth2.AuthStyleInHeader
	}
	if a.scope != "" {
		cc.Scopes = []string{a.scope}
	}
	hc := &http.Client{Transport: headerTransport{base: c.http.Transport, headers: a.tokenHeaders}, Timeout: c.s.requestTimeout}
	return cc.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, hc))
}

// headerTransport adds fixed headers to every request.
type headerTransport struct {
	base    http.RoundTripper
	headers []header
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(h.headers) > 0 {
		r = r.Clone(r.Context())
		for _, hd := range h.headers {
			r.Header.Set(hd.name, hd.value)
		}
	}
	return h.base.RoundTrip(r)
}

// do sends req until it succeeds, retrying network errors and the statuses of
// retry.on.status.codes up to max.retries times with backoff (a 429 or 503 with
// Retry-After waits what it says). A status that is not retried, or the last retry's
// failure, is returned as an error naming the method, the URL (credentials masked), the
// status and the first bytes of the body.
func (c *client) do(ctx context.Context, req request) (*response, error) {
	refreshed := false
	for attempt := 0; ; attempt++ {
		res, retryAfter, err := c.once(ctx, req)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var why error
		switch {
		case err != nil:
			var fatal fatalError
			if errors.As(err, &fatal) {
				return nil, err
			}
			why = fmt.Errorf("%s %s: %w", req.method, maskURL(req.url), err)
		case c.ok(res):
			return res, nil
		case res.status == http.StatusUnauthorized && c.s.auth.kind == authOAuth2 && !refreshed:
			// The token may have been revoked or expired early: get a new one, once.
			refreshed = true
			c.mu.Lock()
			c.tokens = c.newTokenSource()
			c.mu.Unlock()
			attempt--
			continue
		case c.s.retryCodes.has(res.status) || (retryAfter > 0 && (res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable)):
			why = statusError(req, res)
		default:
			return nil, statusError(req, res)
		}
		if attempt >= c.s.maxRetries {
			return nil, fmt.Errorf("%w (gave up after %d retries, %s=%d)", why, attempt, keyMaxRetries, c.s.maxRetries)
		}
		wait := retryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		c.log.Warn("request failed; retrying", "error", why.Error(), "retry", attempt+1, "wait", wait.String())
		if err := c.wait(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// ok says whether a response is one to read records from (or skip, for castorm).
func (c *client) ok(res *response) bool {
	if c.s.castorm {
		if c.s.skipCodes.has(res.status) {
			res.skip = true
			return true
		}
		return c.s.processCodes.has(res.status)
	}
	return res.status >= 200 && res.status < 300
}

// backoff is the wait before retry attempt+1: retry.backoff.ms every time
// (CONSTANT_VALUE), or a random time up to retry.backoff.ms × 2^attempt, capped at a day
// (EXPONENTIAL_WITH_JITTER, as Confluent's RetryUtil).
func (c *client) backoff(attempt int) time.Duration {
	base := c.s.retryBackoff
	if c.s.retryConstant || base <= 0 {
		return base
	}
	limit := 24 * time.Hour
	if attempt < 32 {
		if w := base << attempt; w > 0 && w < limit {
			limit = w
		}
	}
	return time.Duration(rand.Int64N(int64(limit))) + 1
}

// fatalError is a failure no retry can fix (a request that cannot be built).
type fatalError struct{ error }

// once sends req one time; retryAfter is the wait a 429 or 503 asked for.
func (c *client) once(ctx context.Context, req request) (res *response, retryAfter time.Duration, err error) {
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return nil, 0, fatalError{fmt.Errorf("%s %s: %w", req.method, maskURL(req.url), err)}
	}
	hr.Header.Set("Accept", "application/json")
	if req.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for _, h := range c.s.headers {
		hr.Header.Set(h.name, h.value)
	}
	switch c.s.auth.kind {
	case authBasic:
		hr.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.s.auth.user+":"+c.s.auth.pass)))
	case authBearer:
		hr.Header.Set("Authorization", "Bearer "+c.s.auth.bearer)
	case authOAuth2:
		c.mu.Lock()
		ts := c.tokens
		c.mu.Unlock()
		tok, err := ts.Token()
		if err != nil {
			return nil, 0, fmt.Errorf("OAuth2 token from %s: %w", maskURL(c.s.auth.tokenURL), maskTokenError(err))
		}
		tok.SetAuthHeader(hr)
	}
	hres, err := c.http.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named by the caller, masked
		}
		return nil, 0, err
	}
	defer hres.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hres.Body, maxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading the response (status %d): %w", hres.StatusCode, err)
	}
	if len(b) > maxBody {
		return nil, 0, fatalError{fmt.Errorf("%s %s: the response is larger than %d MiB", req.method, maskURL(req.url), maxBody>>20)}
	}
	return &response{status: hres.StatusCode, body: b}, parseRetryAfter(hres.Header.Get("Retry-After"), time.Now()), nil
}

// maskTokenError keeps the token endpoint's answer out of the client secret's way: the
// oauth2 package's errors quote the endpoint's body, never the secret, so only its
// length is bounded here.
func maskTokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Errorf("status %d: %s", re.Response.StatusCode, preview(re.Body))
	}
	return err
}

// parseRetryAfter reads Retry-After: delay seconds or an HTTP date; 0 when absent or
// unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return time.Millisecond
		}
		return time.Duration(min(n, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), time.Millisecond)
	}
	return 0
}

// statusError describes a response the connector does not read.
func statusError(req request, res *response) error {
	return fmt.Errorf("%s %s: status %d %s: %s", req.method, maskURL(req.url), res.status, http.StatusText(res.status), preview(res.body))
}

// preview quotes the first bytes of a body.
func preview(b []byte) string {
	if len(b) > bodyPreview {
		return strconv.Quote(string(b[:bodyPreview])) + fmt.Sprintf(" (first %d of %d bytes)", bodyPreview, len(b))
	}
	return strconv.Quote(string(b))
}

// secretParams are query parameter names (lower case, as substrings) whose values an
// error message masks.
var secretParams = []string{"token", "key", "secret", "password", "passwd", "pwd", "signature", "sig", "auth", "credential", "code"}

// maskURL returns raw with its user info's password and the values of query parameters
// that look like credentials replaced by "xxxxx".
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for name := range q {
			l := strings.ToLower(name)
			for _, s := range secretParams {
				if strings.Contains(l, s) {
					q[name] = []string{"xxxxx"}
					changed = true
					break
				}
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// sleep waits d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
