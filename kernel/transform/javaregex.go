package transform

import (
	"fmt"
	"regexp"
	"strings"
)

// javaRegex is a java.util.regex.Pattern as RegexRouter and TopicNameMatches use it:
// matches() tests the whole input, replaceFirst() replaces the first match.
type javaRegex struct {
	pattern string
	find    *regexp.Regexp // unanchored, for replaceFirst
	whole   *regexp.Regexp // anchored at both ends, for matches
}

func compileJavaRegex(p string) (*javaRegex, error) {
	find, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	whole, err := regexp.Compile(`\A(?:` + p + `)\z`)
	if err != nil {
		return nil, err
	}
	return &javaRegex{pattern: p, find: find, whole: whole}, nil
}

// matches reports whether the whole of s matches, as Matcher.matches.
func (r *javaRegex) matches(s string) bool { return r.whole.MatchString(s) }

// replaceFirst replaces the first match in s with repl, read as Matcher.appendReplacement
// reads it: $n and ${name} refer to groups, a backslash quotes the next character.
func (r *javaRegex) replaceFirst(s, repl string) (string, error) {
	m := r.find.FindStringSubmatchIndex(s)
	if m == nil {
		return s, nil
	}
	var b strings.Builder
	b.WriteString(s[:m[0]])
	if err := appendJavaReplacement(&b, r.find, s, m, repl); err != nil {
		return "", err
	}
	b.WriteString(s[m[1]:])
	return b.String(), nil
}

// checkJavaReplacement reports the errors appendJavaReplacement would raise for any match,
// so a bad replacement fails when the config is parsed rather than on the first record.
func checkJavaReplacement(re *regexp.Regexp, repl string) error {
	m := make([]int, 2*(re.NumSubexp()+1))
	for i := range m {
		m[i] = -1
	}
	m[0], m[1] = 0, 0
	var b strings.Builder
	return appendJavaReplacement(&b, re, "", m, repl)
}

func appendJavaReplacement(b *strings.Builder, re *regexp.Regexp, s string, m []int, repl string) error {
	groups := re.NumSubexp()
	group := func(n int) {
		if m[2*n] >= 0 {
			b.WriteString(s[m[2*n]:m[2*n+1]])
		}
	}
	for i := 0; i < len(repl); {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i == len(repl) {
				return fmt.Errorf("character to be escaped is missing")
			}
			b.WriteByte(repl[i])
			i++
		case '$':
			i++
			if i == len(repl) {
				return fmt.Errorf("Illegal group reference: group index is missing")
			}
			if repl[i] == '{' {
				i++
				start := i
				for i < len(repl) && isASCIILetterOrDigit(repl[i]) {
					i++
				}
				if i == start {
					return fmt.Errorf("named capturing group has 0 length name")
				}
				if i == len(repl) || repl[i] != '}' {
					return fmt.Errorf("named capturing group is missing trailing '}'")
				}
				name := repl[start:i]
				i++
				if name[0] >= '0' && name[0] <= '9' {
					return fmt.Errorf("capturing group name {%s} starts with digit character", name)
				}
				n := re.SubexpIndex(name)
				if n < 0 {
					return fmt.Errorf("No group with name {%s}", name)
				}
				group(n)
				continue
			}
			if repl[i] < '0' || repl[i] > '9' {
				return fmt.Errorf("Illegal group reference")
			}
			ref := int(repl[i] - '0')
			i++
			// As Java: take further digits while the number still names a group.
			for i < len(repl) && repl[i] >= '0' && repl[i] <= '9' {
				next := ref*10 + int(repl[i]-'0')
				if next > groups {
					break
				}
				ref = next
				i++
			}
			if ref > groups {
				return fmt.Errorf("No group %d", ref)
			}
			group(ref)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return nil
}

func isASCIILetterOrDigit(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
