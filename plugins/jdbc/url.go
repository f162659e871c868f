package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// dbKind is the database a URL names.
type dbKind string

const (
	postgres dbKind = "postgresql"
	mysqlDB  dbKind = "mysql"
)

// dbURL is a parsed connection.url.
type dbURL struct {
	kind           dbKind
	host           string
	port           int
	database       string
	user, password string
	params         url.Values
}

// parseURL reads a JDBC URL, jdbc:postgresql://host[:port]/db[?k=v&…],
// jdbc:mysql://… or jdbc:mariadb://…; user and password (connection.user and
// connection.password when set) override the URL's parameters of those names.
func parseURL(raw, user, password string) (dbURL, error) {
	var u dbURL
	rest, ok := strings.CutPrefix(strings.TrimSpace(raw), "jdbc:")
	if !ok {
		return u, fmt.Errorf("%q is not a JDBC URL: write jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db or jdbc:mariadb://host:port/db", raw)
	}
	scheme, _, _ := strings.Cut(rest, ":")
	switch scheme {
	case "postgresql":
		u.kind, u.port = postgres, 5432
	case "mysql", "mariadb":
		u.kind, u.port = mysqlDB, 3306
	default:
		return u, fmt.Errorf("database %q is not supported: this connector speaks to PostgreSQL (jdbc:postgresql://) and MySQL/MariaDB (jdbc:mysql://, jdbc:mariadb://)", scheme)
	}
	p, err := url.Parse(rest)
	if err != nil {
		return u, fmt.Errorf("%q: %v", raw, err)
	}
	if p.Host == "" {
		return u, fmt.Errorf("%q names no host: write jdbc:%s://host:port/db", raw, scheme)
	}
	if strings.Contains(p.Host, ",") {
		return u, fmt.Errorf("%q names several hosts; give one host", raw)
	}
	u.host = p.Hostname()
	if ps := p.Port(); ps != "" {
		if u.port, err = strconv.Atoi(ps); err != nil {
			return u, fmt.Errorf("%q: port %q is not a number", raw, ps)
		}
	}
	u.database = strings.TrimPrefix(p.Path, "/")
	u.params = p.Query()
	u.user, u.password = u.params.Get("user"), u.params.Get("password")
	if p.User != nil {
		u.user = p.User.Username()
		u.password, _ = p.User.Password()
	}
	if user != "" {
		u.user = user
	}
	if password != "" {
		u.password = password
	}
	return u, nil
}
