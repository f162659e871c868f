package security

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// JAAS is one login module entry of a sasl.jaas.config value, such as
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
type JAAS struct {
	// Module is the login module's class name.
	Module string
	// Flag is the control flag: required, requisite, sufficient or optional.
	Flag string
	// Options are the module's key=value options, unquoted.
	Options map[string]string
}

// The login modules Tributary knows, by their Kafka class names.
const (
	PlainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	ScramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// ParseJAAS parses a sasl.jaas.config value the way Kafka's JaasConfig does: exactly one
// login module, its control flag, options as key=value with values bare or in double
// quotes (a backslash escapes the next character), and a closing semicolon. Errors name
// what is wrong and where, never an option's value.
func ParseJAAS(s string) (JAAS, error) {
	p := jaasParser{s: s}
	var j JAAS
	var err error
	if j.Module, err = p.word("login module class name"); err != nil {
		return JAAS{}, err
	}
	if j.Flag, err = p.word("control flag (required)"); err != nil {
		return JAAS{}, err
	}
	switch strings.ToLower(j.Flag) {
	case "required", "requisite", "sufficient", "optional":
		j.Flag = strings.ToLower(j.Flag)
	default:
		return JAAS{}, fmt.Errorf("sasl.jaas.config: control flag %q after %s is not required, requisite, sufficient or optional", j.Flag, j.Module)
	}
	j.Options = map[string]string{}
	for {
		p.space()
		if p.eof() {
			return JAAS{}, errors.New("sasl.jaas.config: missing the closing ';' after the options")
		}
		if p.peek() == ';' {
			p.i++
			break
		}
		key, err := p.word("option name")
		if err != nil {
			return JAAS{}, err
		}
		p.space()
		if p.eof() || p.peek() != '=' {
			return JAAS{}, fmt.Errorf("sasl.jaas.config: option %q has no '=value'", key)
		}
		p.i++
		p.space()
		val, err := p.value(key)
		if err != nil {
			return JAAS{}, err
		}
		if _, dup := j.Options[key]; dup {
			return JAAS{}, fmt.Errorf("sasl.jaas.config: option %q is given twice", key)
		}
		j.Options[key] = val
	}
	p.space()
	if !p.eof() {
		return JAAS{}, errors.New("sasl.jaas.config: more than one login module: Kafka clients take exactly one")
	}
	return j, nil
}

type jaasParser struct {
	s string
	i int
}

func (p *jaasParser) eof() bool  { return p.i >= len(p.s) }
func (p *jaasParser) peek() byte { return p.s[p.i] }

func (p *jaasParser) space() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\n' || p.peek() == '\r') {
		p.i++
	}
}

// word reads a bare token: letters, digits and . _ - $ { } / : characters.
func (p *jaasParser) word(what string) (string, error) {
	p.space()
	start := p.i
	for !p.eof() && isWordByte(p.peek()) {
		p.i++
	}
	if p.i == start {
		if p.eof() {
			return "", fmt.Errorf("sasl.jaas.config: expected a %s, found the end", what)
		}
		return "", fmt.Errorf("sasl.jaas.config: expected a %s at offset %d, found %q", what, p.i, p.s[p.i])
	}
	return p.s[start:p.i], nil
}

func isWordByte(b byte) bool {
	return b < 0x80 && (unicode.IsLetter(rune(b)) || unicode.IsDigit(rune(b)) || strings.IndexByte("._-$/:{}@+", b) >= 0) || b >= 0x80
}

// value reads a quoted or bare option value.
func (p *jaasParser) value(key string) (string, error) {
	if p.eof() {
		return "", fmt.Errorf("sasl.jaas.config: option %q has no value", key)
	}
	if p.peek() != '"' {
		return p.word(fmt.Sprintf("value for option %q", key))
	}
	p.i++
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		p.i++
		switch c {
		case '\\':
			if p.eof() {
				return "", fmt.Errorf("sasl.jaas.config: option %q: value ends in a lone backslash", key)
			}
			b.WriteByte(p.peek())
			p.i++
		case '"':
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("sasl.jaas.config: option %q: the quoted value is never closed", key)
}
