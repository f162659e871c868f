package security

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Role is what an authenticated caller may do.
type Role string

// The roles: read-only callers may read (REST GET and HEAD, the admin service's Get*,
// List*, Describe* and Watch* methods); admins may do everything.
const (
	RoleAdmin    Role = "admin"
	RoleReadOnly Role = "read-only"
)

// Credentials are the users of a credentials file.
type Credentials struct {
	users map[string]credential
	// tokens caches bearer tokens already matched (by SHA-256), so a bcrypt hash is not
	// recomputed for every call.
	tokens sync.Map // [32]byte -> Role
}

type credential struct {
	secret []byte
	bcrypt bool
	role   Role
}

// LoadCredentials reads a credentials file (see ParseCredentials).
func LoadCredentials(path string) (*Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseCredentials(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseCredentials reads users in the format of the property file Kafka Connect's
// BasicAuthSecurityRestExtension (PropertyFileLoginModule) reads, with Jetty's roles:
//
//	# comment
//	alice: alice-secret,admin
//	bob=bob-secret,read-only
//	carol: $2y$10$…   (an htpasswd-style bcrypt hash; htpasswd -nbB carol pw makes one)
//
// A user with no role is an admin, as every user of upstream's file is. Errors name the
// line, never its password.
func ParseCredentials(data []byte) (*Credentials, error) {
	c := &Credentials{users: map[string]credential{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("line %d: want user: password[,role]", n)
		}
		name := strings.TrimSpace(line[:i])
		if strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("line %d: user name %q has a space", n, name)
		}
		fields := strings.Split(strings.TrimSpace(line[i+1:]), ",")
		secret := strings.TrimSpace(fields[0])
		if secret == "" {
			return nil, fmt.Errorf("line %d: user %q has an empty password", n, name)
		}
		cr := credential{secret: []byte(secret), role: RoleAdmin}
		switch {
		case strings.HasPrefix(secret, "$2a$") || strings.HasPrefix(secret, "$2b$") || strings.HasPrefix(secret, "$2y$"):
			if _, err := bcrypt.Cost(cr.secret); err != nil {
				return nil, fmt.Errorf("line %d: user %q: the bcrypt hash is malformed: %w", n, name, err)
			}
			cr.bcrypt = true
		case strings.HasPrefix(secret, "MD5:") || strings.HasPrefix(secret, "CRYPT:") || strings.HasPrefix(secret, "OBF:") || strings.HasPrefix(secret, "$apr1$"):
			return nil, fmt.Errorf("line %d: user %q: only plain passwords and bcrypt hashes ($2y$, htpasswd -B) are supported", n, name)
		}
		var roles []Role
		for _, r := range fields[1:] {
			switch strings.ToLower(strings.TrimSpace(r)) {
			case "admin", "administrator":
				roles = append(roles, RoleAdmin)
			case "read-only", "readonly", "read_only":
				roles = append(roles, RoleReadOnly)
			case "":
			default:
				return nil, fmt.Errorf("line %d: user %q: role %q is not admin or read-only", n, name, strings.TrimSpace(r))
			}
		}
		if len(roles) > 0 && !slices.Contains(roles, RoleAdmin) {
			cr.role = RoleReadOnly
		}
		if _, dup := c.users[name]; dup {
			return nil, fmt.Errorf("line %d: user %q is listed twice", n, name)
		}
		c.users[name] = cr
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(c.users) == 0 {
		return nil, fmt.Errorf("no users: add lines such as admin: SECRET,admin")
	}
	return c, nil
}

// Authenticate checks a user's password and returns the user's role.
func (c *Credentials) Authenticate(user, password string) (Role, bool) {
	cr, ok := c.users[user]
	if !ok {
		// Spend about as long as a known user would, so names cannot be probed by time.
		subtle.ConstantTimeCompare([]byte(password), []byte(password))
		return "", false
	}
	if cr.check(password) {
		return cr.role, true
	}
	return "", false
}

func (cr credential) check(password string) bool {
	if cr.bcrypt {
		return bcrypt.CompareHashAndPassword(cr.secret, []byte(password)) == nil
	}
	return subtle.ConstantTimeCompare(cr.secret, []byte(password)) == 1
}

// AuthenticateToken checks a bearer token: any user's password serves as a token, and the
// token has that user's role (the highest, if users share a password).
func (c *Credentials) AuthenticateToken(token string) (Role, bool) {
	if token == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	if r, ok := c.tokens.Load(sum); ok {
		return r.(Role), true
	}
	var role Role
	for _, cr := range c.users {
		if cr.check(token) && (role == "" || cr.role == RoleAdmin) {
			role = cr.role
		}
	}
	if role == "" {
		return "", false
	}
	c.tokens.Store(sum, role)
	return role, true
}
