package transform

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// simpleDateFormat is java.text.SimpleDateFormat in UTC with the US locale, lenient, as
// TimestampConverter and TimestampRouter use it. It formats every pattern letter Java
// knows and parses the ones that carry a date or time (era, years, months, days, hours,
// minutes, seconds, milliseconds, AM/PM, zones; day names are read and ignored).
type simpleDateFormat struct {
	pattern string
	items   []sdfItem
	// centuryStart is where two-digit years begin: 80 years before the format was made.
	centuryStart int
}

type sdfItem struct {
	letter byte // 0 for literal text
	count  int
	text   string
}

const sdfLetters = "GyYMLwWDdFEuaHkKhmsSzZX"

func newSimpleDateFormat(pattern string) (*simpleDateFormat, error) {
	f := &simpleDateFormat{pattern: pattern, centuryStart: time.Now().UTC().Year() - 80}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.items = append(f.items, sdfItem{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			i++
			if i < len(pattern) && pattern[i] == '\'' { // '' outside quotes is one quote
				lit.WriteByte('\'')
				i++
				continue
			}
			for { // a quoted run, in which '' is one quote
				if i >= len(pattern) {
					return nil, fmt.Errorf("Unterminated quote")
				}
				if pattern[i] == '\'' {
					if i+1 < len(pattern) && pattern[i+1] == '\'' {
						lit.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				lit.WriteByte(pattern[i])
				i++
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			if !strings.ContainsRune(sdfLetters, rune(c)) {
				return nil, fmt.Errorf("Illegal pattern character '%c'", c)
			}
			flush()
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			f.items = append(f.items, sdfItem{letter: c, count: n})
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return f, nil
}

var (
	monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

func pad(n, width int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

// weekYear returns the week-based year and week of year of t with the US rules (weeks
// start on Sunday; week 1 is the week holding January 1).
func weekYear(t time.Time) (year, week int) {
	year = t.Year()
	// The Saturday ending t's week.
	sat := t.AddDate(0, 0, 6-int(t.Weekday()))
	if sat.Year() > year {
		return year + 1, 1
	}
	jan1 := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	return year, (t.YearDay()-1+int(jan1.Weekday()))/7 + 1
}

// format renders ms (milliseconds since the epoch) in UTC.
func (f *simpleDateFormat) format(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	var b strings.Builder
	for _, it := range f.items {
		if it.letter == 0 {
			b.WriteString(it.text)
			continue
		}
		n := it.count
		switch it.letter {
		case 'G':
			if t.Year() > 0 {
				b.WriteString("AD")
			} else {
				b.WriteString("BC")
			}
		case 'y', 'Y':
			y := t.Year()
			if it.letter == 'Y' {
				y, _ = weekYear(t)
			}
			if y <= 0 {
				y = 1 - y
			}
			if n == 2 {
				b.WriteString(pad(y%100, 2))
			} else {
				b.WriteString(pad(y, n))
			}
		case 'M', 'L':
			switch {
			case n >= 4:
				b.WriteString(monthNames[t.Month()-1])
			case n == 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			default:
				b.WriteString(pad(int(t.Month()), n))
			}
		case 'w':
			_, w := weekYear(t)
			b.WriteString(pad(w, n))
		case 'W':
			first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
			b.WriteString(pad((t.Day()-1+int(first.Weekday()))/7+1, n))
		case 'D':
			b.WriteString(pad(t.YearDay(), n))
		case 'd':
			b.WriteString(pad(t.Day(), n))
		case 'F':
			b.WriteString(pad((t.Day()-1)/7+1, n))
		case 'E':
			if n >= 4 {
				b.WriteString(dayNames[t.Weekday()])
			} else {
				b.WriteString(dayNames[t.Weekday()][:3])
			}
		case 'u':
			d := int(t.Weekday())
			if d == 0 {
				d = 7
			}
			b.WriteString(pad(d, n))
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'H':
			b.WriteString(pad(t.Hour(), n))
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b.WriteString(pad(h, n))
		case 'K':
			b.WriteString(pad(t.Hour()%12, n))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, n))
		case 'm':
			b.WriteString(pad(t.Minute(), n))
		case 's':
			b.WriteString(pad(t.Second(), n))
		case 'S':
			b.WriteString(pad(t.Nanosecond()/1e6, n))
		case 'z':
			if n >= 4 {
				b.WriteString("Coordinated Universal Time")
			} else {
				b.WriteString("UTC")
			}
		case 'Z':
			b.WriteString("+0000")
		case 'X':
			b.WriteString("Z")
		}
	}
	return b.String()
}

// parse reads text as SimpleDateFormat.parse(String) does: fields out of range roll over
// (lenient), and text after the pattern is ignored.
func (f *simpleDateFormat) parse(text string) (int64, error) {
	fail := func() (int64, error) {
		return 0, fmt.Errorf("Could not parse timestamp: value (%s) does not match pattern (%s)", text, f.pattern)
	}
	year, month, day, hour, minute, sec, milli := 1970, 1, 1, 0, 0, 0, 0
	yearDay := -1
	pm, hasAmPm, bc := false, false, false
	hour12 := -1
	offset := 0 // seconds east of UTC
	pos := 0
	for idx, it := range f.items {
		if it.letter == 0 {
			if !strings.HasPrefix(text[pos:], it.text) {
				return fail()
			}
			pos += len(it.text)
			continue
		}
		// A numeric field followed directly by another numeric field takes exactly count
		// digits, as Java's abutting fields.
		abutting := idx+1 < len(f.items) && f.items[idx+1].letter != 0 && isNumericItem(f.items[idx+1])
		readNum := func(signed bool) (int, int, bool) {
			start := pos
			if signed && pos < len(text) && (text[pos] == '-' || text[pos] == '+') {
				pos++
			}
			digitsStart := pos
			for pos < len(text) && text[pos] >= '0' && text[pos] <= '9' {
				if abutting && pos-digitsStart == it.count {
					break
				}
				pos++
			}
			if pos == digitsStart {
				pos = start
				return 0, 0, false
			}
			v, err := strconv.Atoi(text[start:pos])
			return v, pos - digitsStart, err == nil
		}
		switch it.letter {
		case 'G':
			switch {
			case hasFoldPrefix(text[pos:], "AD"):
				pos += 2
			case hasFoldPrefix(text[pos:], "BC"):
				pos, bc = pos+2, true
			default:
				return fail()
			}
		case 'y', 'Y':
			v, digits, ok := readNum(true)
			if !ok {
				return fail()
			}
			if it.count <= 2 && digits == 2 && v >= 0 {
				// Two-digit years fall within 80 years before and 20 after now.
				v += f.centuryStart / 100 * 100
				if v < f.centuryStart {
					v += 100
				}
			}
			year = v
		case 'M', 'L':
			if it.count >= 3 {
				m := matchName(text[pos:], monthNames[:])
				if m < 0 {
					return fail()
				}
				pos += m >> 8
				month = m&0xff + 1
				continue
			}
			v, _, ok := readNum(false)
			if !ok {
				return fail()
			}
			month = v
		case 'E':
			m := matchName(text[pos:], dayNames[:])
			if m < 0 {
				return fail()
			}
			pos += m >> 8
		case 'a':
			switch {
			case hasFoldPrefix(text[pos:], "AM"):
				pos += 2
			case hasFoldPrefix(text[pos:], "PM"):
				pos, pm = pos+2, true
			default:
				return fail()
			}
			hasAmPm = true
		case 'z', 'Z', 'X':
			n, secs, ok := parseZone(text[pos:])
			if !ok {
				return fail()
			}
			pos += n
			offset = secs
		default:
			v, _, ok := readNum(false)
			if !ok {
				return fail()
			}
			switch it.letter {
			case 'd':
				day = v
			case 'D':
				yearDay = v
			case 'H':
				hour = v
			case 'k':
				hour = v % 24
			case 'h', 'K':
				hour12 = v % 12
			case 'm':
				minute = v
			case 's':
				sec = v
			case 'S':
				milli = v
			}
			// w, W, F and u are read and ignored: the date comes from the other fields.
		}
	}
	if hour12 >= 0 {
		hour = hour12
	}
	if hasAmPm && pm && hour < 12 {
		hour += 12
	}
	if bc {
		year = 1 - year
	}
	var t time.Time
	if yearDay >= 0 && !hasItem(f.items, 'M', 'L', 'd') {
		t = time.Date(year, 1, yearDay, hour, minute, sec, 0, time.UTC)
	} else {
		t = time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	}
	return t.UnixMilli() + int64(milli) - int64(offset)*1000, nil
}

func isNumericItem(it sdfItem) bool {
	switch it.letter {
	case 'G', 'E', 'a', 'z', 'Z', 'X':
		return false
	case 'M', 'L':
		return it.count < 3
	}
	return true
}

func hasItem(items []sdfItem, letters ...byte) bool {
	for _, it := range items {
		for _, l := range letters {
			if it.letter == l {
				return true
			}
		}
	}
	return false
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// matchName matches a full or three-letter name at the start of s, longest first; it
// returns length<<8 | index, or -1.
func matchName(s string, names []string) int {
	for i, n := range names {
		if hasFoldPrefix(s, n) {
			return len(n)<<8 | i
		}
	}
	for i, n := range names {
		if hasFoldPrefix(s, n[:3]) {
			return 3<<8 | i
		}
	}
	return -1
}

// parseZone reads Z, UTC, GMT, GMT±hh[:mm] or ±hh[[:]mm] and returns its length and its
// offset in seconds.
func parseZone(s string) (n, secs int, ok bool) {
	switch {
	case strings.HasPrefix(s, "Z"):
		return 1, 0, true
	case hasFoldPrefix(s, "UTC"):
		n = 3
	case hasFoldPrefix(s, "GMT"):
		n = 3
	}
	if n > 0 && (len(s) == n || s[n] != '+' && s[n] != '-') {
		return n, 0, true
	}
	rest := s[n:]
	if rest == "" || rest[0] != '+' && rest[0] != '-' {
		return 0, 0, false
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	i := 1
	digits := func(max int) (int, int) {
		start := i
		for i < len(rest) && i-start < max && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		v, _ := strconv.Atoi(rest[start:i])
		return v, i - start
	}
	h, hn := digits(2)
	if hn == 0 {
		return 0, 0, false
	}
	m := 0
	if i < len(rest) && rest[i] == ':' {
		i++
		var mn int
		if m, mn = digits(2); mn != 2 {
			return 0, 0, false
		}
	} else if hn == 2 {
		if v, mn := digits(2); mn == 2 {
			m = v
		} else {
			i -= mn
		}
	}
	return n + i, sign * (h*3600 + m*60), true
}
