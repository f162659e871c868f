package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-dev/tributary/plugins/sdk"
)

// Confluent's keys (io.confluent.connect.http.HttpSourceConnector), as its configuration
// reference names them.
const (
	keyURL              = "url"
	keyEntityNames      = "entity.names"
	keyTopicPattern     = "topic.name.pattern"
	keyMethod           = "http.request.method"
	keyHeaders          = "http.request.headers"
	keyHeadersSep       = "http.request.headers.separator"
	keyParams           = "http.request.parameters"
	keyParamsSep        = "http.request.parameters.separator"
	keyBody             = "http.request.body"
	keyInitialOffset    = "http.initial.offset"
	keyOffsetMode       = "http.offset.mode"
	keyOffsetPointer    = "http.offset.json.pointer"
	keyNextPagePointer  = "http.next.page.json.pointer"
	keyDataPointer      = "http.response.data.json.pointer"
	keyInterval         = "request.interval.ms"
	keyConnectTimeout   = "http.connect.timeout.ms"
	keyRequestTimeout   = "http.request.timeout.ms"
	keyMaxRetries       = "max.retries"
	keyRetryBackoff     = "retry.backoff.ms"
	keyRetryPolicy      = "retry.backoff.policy"
	keyRetryCodes       = "retry.on.status.codes"
	keyAuthType         = "auth.type"
	keyUser             = "connection.user"
	keyPassword         = "connection.password"
	keyBearer           = "bearer.token"
	keyTokenURL         = "oauth2.token.url"
	keyClientID         = "oauth2.client.id"
	keyClientSecret     = "oauth2.client.secret"
	keyClientScope      = "oauth2.client.scope"
	keyTokenProperty    = "oauth2.token.property"
	keyClientAuthMode   = "oauth2.client.auth.mode"
	keyClientHeaders    = "oauth2.client.headers"
	keyClientHeadersSep = "oauth2.client.header.separator"
	keyProxyHost        = "http.proxy.host"
	keyProxyPort        = "http.proxy.port"
	keyProxyUser        = "http.proxy.user"
	keyProxyPassword    = "http.proxy.password"

	keySSLProtocol          = "https.ssl.protocol"
	keySSLEnabledProtocols  = "https.ssl.enabled.protocols"
	keyHostVerifier         = "https.host.verifier.enabled"
	keyTruststoreType       = "https.ssl.truststore.type"
	keyTruststoreLocation   = "https.ssl.truststore.location"
	keyTruststorePassword   = "https.ssl.truststore.password"
	keyTruststoreCerts      = "https.ssl.truststore.certificates"
	keyKeystoreType         = "https.ssl.keystore.type"
	keyKeystoreLocation     = "https.ssl.keystore.location"
	keyKeystorePassword     = "https.ssl.keystore.password"
	keyKeystoreKey          = "https.ssl.keystore.key"
	keyKeystoreCertChain    = "https.ssl.keystore.certificate.chain"
	keyKeyPassword          = "https.ssl.key.password"
	keyLicense              = "confluent.license"
	keyLicenseTopic         = "confluent.topic"
	keyLicenseBootstrap     = "confluent.topic.bootstrap.servers"
	keyLicenseReplication   = "confluent.topic.replication.factor"
	keyLicenseTopicSecurity = "confluent.topic.security.protocol"
)

// castorm's keys (com.github.castorm.kafka.connect.http.HttpSourceConnector), as its
// README and config classes name them. http.request.method, http.request.headers and
// http.request.body are shared with Confluent's names (with castorm's separators).
const (
	keyCURL             = "http.request.url"
	keyCParams          = "http.request.params"
	keyCInitialOffset   = "http.offset.initial"
	keyCInterval        = "http.timer.interval.millis"
	keyCCatchup         = "http.timer.catchup.interval.millis"
	keyCAuthType        = "http.auth.type"
	keyCUser            = "http.auth.user"
	keyCPassword        = "http.auth.password"
	keyCConnectTimeout  = "http.client.connection.timeout.millis"
	keyCReadTimeout     = "http.client.read.timeout.millis"
	keyCProxyHost       = "http.client.proxy.host"
	keyCProxyPort       = "http.client.proxy.port"
	keyCProxyUser       = "http.client.proxy.username"
	keyCProxyPassword   = "http.client.proxy.password"
	keyCListPointer     = "http.response.list.pointer"
	keyCRecordPointer   = "http.response.record.pointer"
	keyCKeyPointer      = "http.response.record.key.pointer"
	keyCTsPointer       = "http.response.record.timestamp.pointer"
	keyCOffsetPointer   = "http.response.record.offset.pointer"
	keyCCodesProcess    = "http.response.policy.codes.process"
	keyCCodesSkip       = "http.response.policy.codes.skip"
	keyCTopic           = "kafka.topic"
	keyCKeyPropertyName = "http.record.schema.key.property.name"
)

// Offset modes, as http.offset.mode spells them.
const (
	modeIncrementing = "SIMPLE_INCREMENTING"
	modeChaining     = "CHAINING"
	modeCursor       = "CURSOR_PAGINATION"
	// modeCastorm is castorm's model: the offset is the last record's offset properties.
	modeCastorm = "castorm"
)

// Auth types, as auth.type spells them.
const (
	authNone   = "NONE"
	authBasic  = "BASIC"
	authBearer = "BEARER"
	authOAuth2 = "OAUTH2"
)

func defineTLS(d *sdk.ConfigDef) *sdk.ConfigDef {
	g := sdk.Group("Security")
	return d.
		Define(keySSLProtocol, sdk.TypeString, sdk.Medium, "TLS protocol: TLSv1.3 or TLSv1.2 (the lowest version offered; Go always offers TLS 1.3 too), or TLS.", sdk.Default("TLSv1.3"), g,
			sdk.OneOf("TLS", "TLSv1.2", "TLSv1.3")).
		Define(keySSLEnabledProtocols, sdk.TypeList, sdk.Low, "TLS versions to offer: TLSv1.2, TLSv1.3. Empty: TLS 1.2 and 1.3.", sdk.Default(""), g).
		Define(keyHostVerifier, sdk.TypeBoolean, sdk.Medium, "Check that the server's certificate names the URL's host. false still verifies the certificate chain.", sdk.Default("true"), g).
		Define(keyTruststoreType, sdk.TypeString, sdk.Medium, "Trust store format: PEM. JKS and PKCS12 stores are refused, naming the conversion to PEM.", sdk.Default("PEM"), g,
			sdk.OneOf("PEM", "JKS", "PKCS12")).
		Define(keyTruststoreLocation, sdk.TypeString, sdk.High, "PEM file of the CA certificates to trust (else the system's).", sdk.Default(""), g).
		Define(keyTruststorePassword, sdk.TypePassword, sdk.High, "Password of the trust store; PEM has none, so it must be empty.", sdk.Default(""), g).
		Define(keyTruststoreCerts, sdk.TypePassword, sdk.High, "The CA certificates to trust, inline PEM (instead of a file).", sdk.Default(""), g).
		Define(keyKeystoreType, sdk.TypeString, sdk.Medium, "Key store format: PEM. JKS and PKCS12 stores are refused, naming the conversion to PEM.", sdk.Default("PEM"), g,
			sdk.OneOf("PEM", "JKS", "PKCS12")).
		Define(keyKeystoreLocation, sdk.TypeString, sdk.High, "PEM file holding the client's unencrypted private key and certificate chain, for mutual TLS.", sdk.Default(""), g).
		Define(keyKeystorePassword, sdk.TypePassword, sdk.High, "Password of the key store; PEM key stores are unencrypted, so it must be empty.", sdk.Default(""), g).
		Define(keyKeystoreKey, sdk.TypePassword, sdk.High, "The client's unencrypted private key, inline PEM (with https.ssl.keystore.certificate.chain).", sdk.Default(""), g).
		Define(keyKeystoreCertChain, sdk.TypePassword, sdk.High, "The client's certificate chain, inline PEM (with https.ssl.keystore.key).", sdk.Default(""), g).
		Define(keyKeyPassword, sdk.TypePassword, sdk.High, "Password of the private key; encrypted keys are refused, so it must be empty.", sdk.Default(""), g)
}

// confluentDef declares every key the Confluent class supports; others are refused by name.
var confluentDef = defineTLS(new(sdk.ConfigDef).
	Define(keyURL, sdk.TypeString, sdk.High, "The URL to poll, http or https; ${offset} is replaced by the entity's offset and ${entityName} by the entity, as they are.", sdk.Required()).
	Define(keyEntityNames, sdk.TypeList, sdk.High, "Entities to poll, each with its own offset; ${entityName} in url, topic.name.pattern, http.request.parameters and http.request.body is replaced by each. Spread over the tasks.", sdk.Default("")).
	Define(keyTopicPattern, sdk.TypeString, sdk.High, "Topic of the records; ${entityName} is replaced by the entity.", sdk.Required()).
	Define(keyMethod, sdk.TypeString, sdk.High, "GET or POST.", sdk.Default("GET"), sdk.OneOf("GET", "POST")).
	Define(keyHeaders, sdk.TypeString, sdk.Medium, "Headers of every request: Name:Value pairs separated by http.request.headers.separator.", sdk.Default("")).
	Define(keyHeadersSep, sdk.TypeString, sdk.Low, "Separator of http.request.headers.", sdk.Default("|")).
	Define(keyParams, sdk.TypeString, sdk.Medium, "Query parameters of every request: name=value pairs separated by http.request.parameters.separator; values may hold ${offset} and ${entityName} (URL-encoded when replaced).", sdk.Default("")).
	Define(keyParamsSep, sdk.TypeString, sdk.Low, "Separator of http.request.parameters.", sdk.Default("&")).
	Define(keyBody, sdk.TypeString, sdk.Medium, "Body of a POST; may hold ${offset} and ${entityName}.", sdk.Default("")).
	Define(keyInitialOffset, sdk.TypeString, sdk.High, "The offset of an entity's first request (SIMPLE_INCREMENTING: a number, empty is 0).", sdk.Default("")).
	Define(keyOffsetMode, sdk.TypeString, sdk.High, "SIMPLE_INCREMENTING, CHAINING or CURSOR_PAGINATION.", sdk.Default(modeIncrementing),
		sdk.OneOf(modeIncrementing, modeChaining, modeCursor)).
	Define(keyOffsetPointer, sdk.TypeString, sdk.Medium, "CHAINING: JSON pointer, in each record, of the offset of the next request.", sdk.Default("")).
	Define(keyNextPagePointer, sdk.TypeString, sdk.Medium, "CURSOR_PAGINATION: JSON pointer, in the response, of the next page's cursor.", sdk.Default("")).
	Define(keyDataPointer, sdk.TypeString, sdk.High, "JSON pointer, in the response, of the records: an array is one record per element, anything else one record. Empty: the whole response.", sdk.Default("")).
	Define(keyInterval, sdk.TypeLong, sdk.High, "Milliseconds between two requests for one entity.", sdk.Default("15000"), sdk.AtLeast(0)).
	Define(keyConnectTimeout, sdk.TypeInt, sdk.Low, "Milliseconds to wait for a connection.", sdk.Default("30000"), sdk.AtLeast(1)).
	Define(keyRequestTimeout, sdk.TypeInt, sdk.Low, "Milliseconds to wait for a whole response.", sdk.Default("30000"), sdk.AtLeast(1)).
	Define(keyMaxRetries, sdk.TypeInt, sdk.Medium, "Retries of a request that failed with a status of retry.on.status.codes or a network error, before the task fails.", sdk.Default("10"), sdk.AtLeast(0)).
	Define(keyRetryBackoff, sdk.TypeLong, sdk.Medium, "Milliseconds of the first wait before a retry.", sdk.Default("3000"), sdk.AtLeast(0)).
	Define(keyRetryPolicy, sdk.TypeString, sdk.Medium, "CONSTANT_VALUE or EXPONENTIAL_WITH_JITTER.", sdk.Default("EXPONENTIAL_WITH_JITTER"),
		sdk.OneOf("CONSTANT_VALUE", "EXPONENTIAL_WITH_JITTER")).
	Define(keyRetryCodes, sdk.TypeString, sdk.Medium, "Statuses retried: codes and ranges, comma-separated, e.g. 429,500-504 or 400- (every status from 400).", sdk.Default("400-")).
	Define(keyAuthType, sdk.TypeString, sdk.High, "NONE, BASIC, BEARER or OAUTH2 (client credentials).", sdk.Default(authNone),
		sdk.OneOf(authNone, authBasic, authBearer, authOAuth2)).
	Define(keyUser, sdk.TypeString, sdk.High, "BASIC: the user.", sdk.Default("")).
	Define(keyPassword, sdk.TypePassword, sdk.High, "BASIC: the password.", sdk.Default("")).
	Define(keyBearer, sdk.TypePassword, sdk.High, "BEARER: the token sent as Authorization: Bearer.", sdk.Default("")).
	Define(keyTokenURL, sdk.TypeString, sdk.High, "OAUTH2: the token endpoint.", sdk.Default("")).
	Define(keyClientID, sdk.TypeString, sdk.High, "OAUTH2: the client id.", sdk.Default("")).
	Define(keyClientSecret, sdk.TypePassword, sdk.High, "OAUTH2: the client secret.", sdk.Default("")).
	Define(keyClientScope, sdk.TypeString, sdk.Medium, "OAUTH2: the scope asked for.", sdk.Default("any")).
	Define(keyTokenProperty, sdk.TypeString, sdk.Medium, "OAUTH2: the token's property in the token endpoint's answer; only access_token.", sdk.Default("access_token"),
		sdk.OneOf("access_token")).
	Define(keyClientAuthMode, sdk.TypeString, sdk.Medium, "OAUTH2: header (HTTP Basic) or url (form fields) for the client id and secret.", sdk.Default("header"),
		sdk.OneOf("header", "url")).
	Define(keyClientHeaders, sdk.TypePassword, sdk.Low, "OAUTH2: headers of the token request, Name:Value pairs separated by oauth2.client.header.separator.", sdk.Default("")).
	Define(keyClientHeadersSep, sdk.TypeString, sdk.Low, "Separator of oauth2.client.headers.", sdk.Default("|")).
	Define(keyProxyHost, sdk.TypeString, sdk.Low, "HTTP proxy host; empty: none (HTTP_PROXY/HTTPS_PROXY from the environment still apply).", sdk.Default("")).
	Define(keyProxyPort, sdk.TypeInt, sdk.Low, "HTTP proxy port.", sdk.Default("0"), sdk.AtLeast(0)).
	Define(keyProxyUser, sdk.TypeString, sdk.Low, "HTTP proxy user.", sdk.Default("")).
	Define(keyProxyPassword, sdk.TypePassword, sdk.Low, "HTTP proxy password.", sdk.Default("")).
	Define(keyLicense, sdk.TypePassword, sdk.Low, "Confluent's license key: accepted and ignored.", sdk.Default("")).
	Define(keyLicenseTopic, sdk.TypeString, sdk.Low, "Confluent's license topic: accepted and ignored.", sdk.Default("")).
	Define(keyLicenseBootstrap, sdk.TypeList, sdk.Low, "Brokers of Confluent's license topic: accepted and ignored.", sdk.Default("")).
	Define(keyLicenseReplication, sdk.TypeInt, sdk.Low, "Replication of Confluent's license topic: accepted and ignored.", sdk.Default("3")).
	Define(keyLicenseTopicSecurity, sdk.TypeString, sdk.Low, "Security protocol of Confluent's license topic: accepted and ignored.", sdk.Default(""))).
	RefuseUnknown()

// castormDef declares every key the castorm class supports; others are refused by name.
var castormDef = new(sdk.ConfigDef).
	Define(keyCURL, sdk.TypeString, sdk.High, "The URL to poll; ${offset.<property>} (or ${<property>}) is replaced by the offset's property.", sdk.Required()).
	Define(keyMethod, sdk.TypeString, sdk.High, "GET or POST.", sdk.Default("GET"), sdk.OneOf("GET", "POST")).
	Define(keyHeaders, sdk.TypeString, sdk.Medium, "Headers: Name: Value pairs separated by ','.", sdk.Default("")).
	Define(keyCParams, sdk.TypeString, sdk.Medium, "Query parameters: name=value pairs separated by '&'; may hold offset placeholders.", sdk.Default("")).
	Define(keyBody, sdk.TypeString, sdk.Medium, "Body of a POST; may hold offset placeholders.", sdk.Default("")).
	Define(keyCInitialOffset, sdk.TypeString, sdk.High, "The initial offset: property=value pairs separated by ','.", sdk.Default("")).
	Define(keyCInterval, sdk.TypeLong, sdk.High, "Milliseconds between requests when the last one brought no new record.", sdk.Default("60000"), sdk.AtLeast(0)).
	Define(keyCCatchup, sdk.TypeLong, sdk.Medium, "Milliseconds between requests while the last one brought new records (catching up).", sdk.Default("30000"), sdk.AtLeast(0)).
	Define(keyCAuthType, sdk.TypeString, sdk.High, "None or Basic.", sdk.Default("None"), sdk.OneOf("None", "Basic")).
	Define(keyCUser, sdk.TypeString, sdk.High, "Basic: the user.", sdk.Default("")).
	Define(keyCPassword, sdk.TypePassword, sdk.High, "Basic: the password.", sdk.Default("")).
	Define(keyCConnectTimeout, sdk.TypeLong, sdk.Low, "Milliseconds to wait for a connection.", sdk.Default("2000"), sdk.AtLeast(1)).
	Define(keyCReadTimeout, sdk.TypeLong, sdk.Low, "Milliseconds to wait for a whole response.", sdk.Default("2000"), sdk.AtLeast(1)).
	Define(keyCProxyHost, sdk.TypeString, sdk.Low, "HTTP proxy host; empty: none.", sdk.Default("")).
	Define(keyCProxyPort, sdk.TypeInt, sdk.Low, "HTTP proxy port.", sdk.Default("3128"), sdk.AtLeast(0)).
	Define(keyCProxyUser, sdk.TypeString, sdk.Low, "HTTP proxy user.", sdk.Default("")).
	Define(keyCProxyPassword, sdk.TypePassword, sdk.Low, "HTTP proxy password.", sdk.Default("")).
	Define(keyCListPointer, sdk.TypeString, sdk.High, "JSON pointer of the array of records in the response; / is the whole response.", sdk.Default("/")).
	Define(keyCRecordPointer, sdk.TypeString, sdk.High, "JSON pointer, in each record, of the value written; / is the whole record.", sdk.Default("/")).
	Define(keyCKeyPointer, sdk.TypeString, sdk.High, "JSON pointers, comma-separated, of the record's key (several are joined with '+').", sdk.Default("")).
	Define(keyCTsPointer, sdk.TypeString, sdk.Medium, "JSON pointer of the record's timestamp: epoch milliseconds or ISO-8601.", sdk.Default("")).
	Define(keyCOffsetPointer, sdk.TypeString, sdk.Medium, "The offset's properties: property=/pointer pairs separated by ','.", sdk.Default("")).
	Define(keyCCodesProcess, sdk.TypeString, sdk.Low, "Statuses whose response is parsed: ranges a..b, comma-separated.", sdk.Default("200..299")).
	Define(keyCCodesSkip, sdk.TypeString, sdk.Low, "Statuses whose response is skipped (no records, same offset).", sdk.Default("300..399")).
	Define(keyCTopic, sdk.TypeString, sdk.High, "Topic of the records.", sdk.Required()).
	RefuseUnknown()

// header is one request header.
type header struct{ name, value string }

// param is one query parameter, its value a template.
type param struct {
	name  string
	value template
}

// codeRange is an inclusive range of HTTP statuses.
type codeRange struct{ lo, hi int }

type codeRanges []codeRange

func (rs codeRanges) has(code int) bool {
	for _, r := range rs {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

// settings is a task's config, parsed: what to request, how to read the answer, and
// where the offset comes from. Both classes yield one.
type settings struct {
	castorm bool

	url      template
	method   string
	headers  []header
	params   []param
	body     template
	entities []string // "" alone when entity.names is empty
	topic    template

	mode            string
	initialOffset   string
	offsetPointer   pointer
	nextPagePointer pointer
	dataPointer     pointer
	interval        time.Duration
	catchup         time.Duration // castorm: between requests that brought records

	// castorm's record model.
	valuePointer     pointer
	keyPointers      []pointer
	tsPointer        *pointer
	offsetPointers   []namedPointer
	initialOffsetMap map[string]string
	processCodes     codeRanges
	skipCodes        codeRanges

	connectTimeout time.Duration
	requestTimeout time.Duration
	maxRetries     int
	retryBackoff   time.Duration
	retryConstant  bool
	retryCodes     codeRanges

	auth  authSettings
	tls   tlsSettings
	proxy *url.URL
}

type namedPointer struct {
	name string
	ptr  pointer
}

// authSettings is how requests authenticate.
type authSettings struct {
	kind         string // authNone …
	user, pass   string
	bearer       string
	tokenURL     string
	clientID     string
	clientSecret string
	scope        string
	inHeader     bool // the client id and secret as HTTP Basic (else form fields)
	tokenHeaders []header
}

// tlsSettings is what the TLS client config is built from (tls.go).
type tlsSettings struct {
	minTLS13      bool
	maxTLS12      bool
	verifyHost    bool
	trustType     string
	trustFile     string
	trustPEM      string
	trustPassword string
	keyType       string
	keyFile       string
	keyPassword   string
	keyPEM        string
	chainPEM      string
	privKeyPass   string
}

// errs collects config errors, each naming its key.
type errs []sdk.ConfigError

func (e *errs) bad(key, format string, args ...any) {
	*e = append(*e, sdk.ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
}

func confluentVar(name string) bool { return name == "offset" || name == "entityName" }

// parseConfluent yields the settings of Confluent's class from a config that passed the
// generic checks; every problem names its key.
func parseConfluent(c sdk.Config) (*settings, []sdk.ConfigError) {
	var e errs
	s := &settings{method: strings.ToUpper(strings.TrimSpace(c.String(keyMethod)))}
	s.url = parseTemplateKey(&e, c, keyURL, confluentVar)
	checkURL(&e, keyURL, c.String(keyURL))
	s.topic = parseTemplateKey(&e, c, keyTopicPattern, func(n string) bool { return n == "entityName" })
	s.body = parseTemplateKey(&e, c, keyBody, confluentVar)
	for _, n := range c.List(keyEntityNames) {
		if n = strings.TrimSpace(n); n != "" {
			s.entities = append(s.entities, n)
		}
	}
	usesEntity := s.url.uses("entityName") || s.topic.uses("entityName") || s.body.uses("entityName")
	s.headers = parseHeaders(&e, keyHeaders, c.String(keyHeaders), sepOf(c, keyHeadersSep, "|"), ":")
	s.params = parseParams(&e, keyParams, c.String(keyParams), sepOf(c, keyParamsSep, "&"), confluentVar)
	for _, p := range s.params {
		usesEntity = usesEntity || p.value.uses("entityName")
	}
	if len(s.entities) == 0 {
		if usesEntity {
			e.bad(keyEntityNames, "${entityName} is used but %s is empty; list the entities to poll", keyEntityNames)
		}
		s.entities = []string{""}
	}
	s.mode = strings.ToUpper(strings.TrimSpace(c.String(keyOffsetMode)))
	s.initialOffset = c.String(keyInitialOffset)
	s.offsetPointer = parsePointerKey(&e, c, keyOffsetPointer)
	s.nextPagePointer = parsePointerKey(&e, c, keyNextPagePointer)
	s.dataPointer = parsePointerKey(&e, c, keyDataPointer)
	switch s.mode {
	case modeIncrementing:
		if v := strings.TrimSpace(s.initialOffset); v != "" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				e.bad(keyInitialOffset, "SIMPLE_INCREMENTING counts records: %q is not an integer", s.initialOffset)
			}
		}
	case modeChaining:
		if c.String(keyOffsetPointer) == "" {
			e.bad(keyOffsetPointer, "CHAINING takes each request's offset from the records: set %s", keyOffsetPointer)
		}
	case modeCursor:
		if c.String(keyNextPagePointer) == "" {
			e.bad(keyNextPagePointer, "CURSOR_PAGINATION takes the next page's cursor from the response: set %s", keyNextPagePointer)
		}
	}
	if !s.url.uses("offset") && !s.body.uses("offset") && !paramsUse(s.params, "offset") {
		e.bad(keyURL, "${offset} appears in none of %s, %s, %s: every request would ask for the same data; put ${offset} where the API takes its position", keyURL, keyParams, keyBody)
	}
	s.interval = millis(c, keyInterval)
	s.connectTimeout = millis(c, keyConnectTimeout)
	s.requestTimeout = millis(c, keyRequestTimeout)
	s.maxRetries, _ = c.Int(keyMaxRetries)
	s.retryBackoff = millis(c, keyRetryBackoff)
	s.retryConstant = strings.EqualFold(c.String(keyRetryPolicy), "CONSTANT_VALUE")
	var err error
	if s.retryCodes, err = parseStatusCodes(c.String(keyRetryCodes)); err != nil {
		e.bad(keyRetryCodes, "%v", err)
	}
	s.auth = authSettings{kind: strings.ToUpper(strings.TrimSpace(c.String(keyAuthType))),
		user: c.String(keyUser), pass: c.String(keyPassword), bearer: c.String(keyBearer),
		tokenURL: c.String(keyTokenURL), clientID: c.String(keyClientID), clientSecret: c.String(keyClientSecret),
		scope: c.String(keyClientScope), inHeader: strings.EqualFold(c.String(keyClientAuthMode), "header")}
	s.auth.tokenHeaders = parseHeaders(&e, keyClientHeaders, c.String(keyClientHeaders), sepOf(c, keyClientHeadersSep, "|"), ":")
	switch s.auth.kind {
	case authBasic:
		if s.auth.user == "" {
			e.bad(keyUser, "auth.type=BASIC needs the user: set %s (and %s)", keyUser, keyPassword)
		}
	case authBearer:
		if s.auth.bearer == "" {
			e.bad(keyBearer, "auth.type=BEARER needs the token: set %s", keyBearer)
		}
	case authOAuth2:
		for _, k := range []string{keyTokenURL, keyClientID, keyClientSecret} {
			if c.String(k) == "" {
				e.bad(k, "auth.type=OAUTH2 (client credentials) needs %s", k)
			}
		}
		checkURL(&e, keyTokenURL, s.auth.tokenURL)
	}
	s.proxy = parseProxy(&e, c, keyProxyHost, keyProxyPort, keyProxyUser, keyProxyPassword)
	s.tls = parseTLS(&e, c)
	return s, e
}

// parseCastorm yields the settings of castorm's class.
func parseCastorm(c sdk.Config) (*settings, []sdk.ConfigError) {
	var e errs
	s := &settings{castorm: true, mode: modeCastorm, method: strings.ToUpper(strings.TrimSpace(c.String(keyMethod))), entities: []string{""}}
	vars := func(string) bool { return true } // any offset property
	s.url = parseTemplateKey(&e, c, keyCURL, vars)
	checkURL(&e, keyCURL, c.String(keyCURL))
	s.body = parseTemplateKey(&e, c, keyBody, vars)
	s.topic = parseTemplateKey(&e, c, keyCTopic, func(string) bool { return false })
	s.headers = parseHeaders(&e, keyHeaders, c.String(keyHeaders), ",", ":")
	s.params = parseParams(&e, keyCParams, c.String(keyCParams), "&", vars)
	s.initialOffsetMap = map[string]string{}
	for _, kv := range splitNonEmpty(c.String(keyCInitialOffset), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			e.bad(keyCInitialOffset, "%q is not property=value", kv)
			continue
		}
		s.initialOffsetMap[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	s.interval = millis(c, keyCInterval)
	s.catchup = millis(c, keyCCatchup)
	s.dataPointer = parseCastormPointer(&e, keyCListPointer, c.String(keyCListPointer))
	s.valuePointer = parseCastormPointer(&e, keyCRecordPointer, c.String(keyCRecordPointer))
	for _, p := range splitNonEmpty(c.String(keyCKeyPointer), ",") {
		s.keyPointers = append(s.keyPointers, parseCastormPointer(&e, keyCKeyPointer, p))
	}
	if v := strings.TrimSpace(c.String(keyCTsPointer)); v != "" {
		p := parseCastormPointer(&e, keyCTsPointer, v)
		s.tsPointer = &p
	}
	for _, kv := range splitNonEmpty(c.String(keyCOffsetPointer), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			e.bad(keyCOffsetPointer, "%q is not property=/pointer", kv)
			continue
		}
		s.offsetPointers = append(s.offsetPointers, namedPointer{strings.TrimSpace(k), parseCastormPointer(&e, keyCOffsetPointer, strings.TrimSpace(v))})
	}
	var err error
	if s.processCodes, err = parseCastormCodes(c.String(keyCCodesProcess)); err != nil {
		e.bad(keyCCodesProcess, "%v", err)
	}
	if s.skipCodes, err = parseCastormCodes(c.String(keyCCodesSkip)); err != nil {
		e.bad(keyCCodesSkip, "%v", err)
	}
	s.connectTimeout = millis(c, keyCConnectTimeout)
	s.requestTimeout = millis(c, keyCReadTimeout)
	// castorm's OkHttp client does not retry a status; a network error fails the poll and
	// Kafka Connect polls again. Retrying network errors a few times is the closest.
	s.maxRetries, s.retryBackoff = 3, 500*time.Millisecond
	s.auth = authSettings{kind: authNone}
	if strings.EqualFold(c.String(keyCAuthType), "Basic") {
		s.auth = authSettings{kind: authBasic, user: c.String(keyCUser), pass: c.String(keyCPassword)}
	}
	s.proxy = parseProxy(&e, c, keyCProxyHost, keyCProxyPort, keyCProxyUser, keyCProxyPassword)
	s.tls = tlsSettings{verifyHost: true}
	return s, e
}

func parseTemplateKey(e *errs, c sdk.Config, key string, allowed func(string) bool) template {
	t, err := parseTemplate(c.String(key), allowed)
	if err != nil {
		e.bad(key, "%v", err)
	}
	return t
}

func parsePointerKey(e *errs, c sdk.Config, key string) pointer {
	p, err := parsePointer(c.String(key))
	if err != nil {
		e.bad(key, "%v", err)
	}
	return p
}

// parseCastormPointer reads castorm's pointers, where "/" (its default) is the whole
// record rather than RFC 6901's member "".
func parseCastormPointer(e *errs, key, v string) pointer {
	v = strings.TrimSpace(v)
	if v == "/" {
		v = ""
	}
	p, err := parsePointer(v)
	if err != nil {
		e.bad(key, "%v", err)
	}
	return p
}

// checkURL refuses a URL that is not http or https (placeholders read as a letter).
func checkURL(e *errs, key, raw string) {
	probe, _ := parseTemplate(raw, func(string) bool { return true })
	u, err := url.Parse(probe.render(func(string) string { return "x" }, nil))
	if err != nil {
		e.bad(key, "not a URL: %v", err)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		e.bad(key, "%q: the scheme must be http or https", raw)
	}
}

func sepOf(c sdk.Config, key, def string) string {
	if s := c.String(key); s != "" {
		return s
	}
	return def
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseHeaders reads name<kv>value pairs separated by sep.
func parseHeaders(e *errs, key, raw, sep, kv string) []header {
	var out []header
	for _, h := range splitNonEmpty(raw, sep) {
		name, value, ok := strings.Cut(h, kv)
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			e.bad(key, "header %q is not Name%sValue", h, kv)
			continue
		}
		out = append(out, header{name, strings.TrimSpace(value)})
	}
	return out
}

func parseParams(e *errs, key, raw, sep string, allowed func(string) bool) []param {
	var out []param
	for _, p := range splitNonEmpty(raw, sep) {
		name, value, ok := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			e.bad(key, "parameter %q is not name=value", p)
			continue
		}
		t, err := parseTemplate(strings.TrimSpace(value), allowed)
		if err != nil {
			e.bad(key, "parameter %s: %v", name, err)
		}
		out = append(out, param{name, t})
	}
	return out
}

func paramsUse(ps []param, name string) bool {
	for _, p := range ps {
		if p.value.uses(name) {
			return true
		}
	}
	return false
}

// parseStatusCodes reads Confluent's retry.on.status.codes: codes and ranges
// ("500-504", "400-" open-ended), comma-separated.
func parseStatusCodes(s string) (codeRanges, error) {
	var out codeRanges
	for _, p := range splitNonEmpty(s, ",") {
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || a < 100 || a > 599 {
			return nil, fmt.Errorf("%q is not a status code or range such as 429, 500-504 or 400-", p)
		}
		b := a
		if isRange {
			b = 599
			if hi = strings.TrimSpace(hi); hi != "" {
				if b, err = strconv.Atoi(hi); err != nil || b < a || b > 599 {
					return nil, fmt.Errorf("%q is not a status code range such as 500-504", p)
				}
			}
		}
		out = append(out, codeRange{a, b})
	}
	return out, nil
}

// parseCastormCodes reads castorm's code ranges: "200..299, 304" style.
func parseCastormCodes(s string) (codeRanges, error) {
	var out codeRanges
	for _, p := range splitNonEmpty(s, ",") {
		lo, hi, isRange := strings.Cut(p, "..")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err != nil || b < a {
			return nil, fmt.Errorf("%q is not a code or range such as 200..299", p)
		}
		out = append(out, codeRange{a, b})
	}
	return out, nil
}

func millis(c sdk.Config, key string) time.Duration {
	n, _ := c.Int64(key)
	return time.Duration(n) * time.Millisecond
}

func parseProxy(e *errs, c sdk.Config, hostKey, portKey, userKey, passKey string) *url.URL {
	host := strings.TrimSpace(c.String(hostKey))
	if host == "" {
		return nil
	}
	port, _ := c.Int(portKey)
	if port <= 0 {
		e.bad(portKey, "a proxy needs its port: set %s", portKey)
		return nil
	}
	u := &url.URL{Scheme: "http", Host: host + ":" + strconv.Itoa(port)}
	if user := c.String(userKey); user != "" {
		u.User = url.UserPassword(user, c.String(passKey))
	}
	return u
}

func parseTLS(e *errs, c sdk.Config) tlsSettings {
	t := tlsSettings{
		verifyHost: true, trustType: strings.ToUpper(c.String(keyTruststoreType)), trustFile: c.String(keyTruststoreLocation),
		trustPEM: c.String(keyTruststoreCerts), trustPassword: c.String(keyTruststorePassword),
		keyType: strings.ToUpper(c.String(keyKeystoreType)), keyFile: c.String(keyKeystoreLocation), keyPassword: c.String(keyKeystorePassword),
		keyPEM: c.String(keyKeystoreKey), chainPEM: c.String(keyKeystoreCertChain), privKeyPass: c.String(keyKeyPassword),
	}
	t.verifyHost, _ = c.Bool(keyHostVerifier)
	protos := map[string]bool{}
	for _, p := range c.List(keySSLEnabledProtocols) {
		switch p = strings.TrimSpace(p); p {
		case "TLSv1.2", "TLSv1.3":
			protos[p] = true
		case "":
		default:
			e.bad(keySSLEnabledProtocols, "%q is not offered: list TLSv1.2, TLSv1.3 or both", p)
		}
	}
	t.minTLS13 = protos["TLSv1.3"] && !protos["TLSv1.2"]
	t.maxTLS12 = protos["TLSv1.2"] && !protos["TLSv1.3"]
	if (t.keyPEM == "") != (t.chainPEM == "") {
		e.bad(keyKeystoreKey, "an inline client certificate needs both %s and %s", keyKeystoreKey, keyKeystoreCertChain)
	}
	if t.privKeyPass != "" {
		e.bad(keyKeyPassword, "encrypted private keys are not supported: decrypt the key (openssl pkcs8 -in key.pem -out plain.pem) and remove %s", keyKeyPassword)
	}
	return t
}
