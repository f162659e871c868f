package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone names work on hosts without a zoneinfo database
)

// pathFormat is a parsed Joda-Time DateTimeFormat pattern, as TimeBasedPartitioner's
// path.format: letters are fields, text in single quotes is literal (” is a quote), and
// anything else that is not a letter is literal too.
type pathFormat struct {
	parts []formatPart
}

// formatPart is a literal (field 0) or a field repeated count times.
type formatPart struct {
	field   byte
	count   int
	literal string
}

// The pattern letters Joda-Time's DateTimeFormat knows.
const jodaLetters = "GCYxwedEyDMdaKhHkmsSzZ"

// parsePathFormat parses pattern as Joda-Time's DateTimeFormat.forPattern does, with its
// errors.
func parsePathFormat(pattern string) (*pathFormat, error) {
	pf := &pathFormat{}
	lit := func(s string) {
		if n := len(pf.parts); n > 0 && pf.parts[n-1].field == 0 {
			pf.parts[n-1].literal += s
			return
		}
		pf.parts = append(pf.parts, formatPart{literal: s})
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			// A quoted literal: up to the next lone quote; '' inside is a quote.
			j := i + 1
			var b strings.Builder
			closed := false
			for j < len(pattern) {
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(pattern[j])
				j++
			}
			if !closed && b.Len() == 0 && j == i+1 {
				return nil, fmt.Errorf("Illegal pattern component: '")
			}
			if b.Len() == 0 && closed && j == i+2 {
				lit("'") // '' outside a quoted text is a quote
			} else {
				lit(b.String())
			}
			i = j
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !strings.ContainsRune(jodaLetters, rune(c)) {
				return nil, fmt.Errorf("Illegal pattern component: %c", c)
			}
			j := i
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			pf.parts = append(pf.parts, formatPart{field: c, count: j - i})
			i = j
		default:
			lit(string(c))
			i++
		}
	}
	return pf, nil
}

var (
	shortMonths = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	longMonths  = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// appendFormat appends t (already in the wanted zone) as the pattern says, as Joda-Time
// prints it in an English locale.
func (pf *pathFormat) appendFormat(dst []byte, t time.Time) []byte {
	for _, p := range pf.parts {
		n := p.count
		switch p.field {
		case 0:
			dst = append(dst, p.literal...)
		case 'G':
			if t.Year() > 0 {
				dst = append(dst, "AD"...)
			} else {
				dst = append(dst, "BC"...)
			}
		case 'C':
			dst = pad(dst, int64(yearOfEra(t)/100), n)
		case 'Y':
			dst = year(dst, int64(yearOfEra(t)), n)
		case 'y':
			dst = year(dst, int64(t.Year()), n)
		case 'x':
			y, _ := t.ISOWeek()
			dst = year(dst, int64(y), n)
		case 'w':
			_, w := t.ISOWeek()
			dst = pad(dst, int64(w), n)
		case 'e':
			wd := int64(t.Weekday())
			if wd == 0 {
				wd = 7 // ISO: Monday is 1, Sunday 7
			}
			dst = pad(dst, wd, n)
		case 'E':
			name := t.Weekday().String()
			if n < 4 {
				name = name[:3]
			}
			dst = append(dst, name...)
		case 'D':
			dst = pad(dst, int64(t.YearDay()), n)
		case 'M':
			switch {
			case n >= 4:
				dst = append(dst, longMonths[t.Month()-1]...)
			case n == 3:
				dst = append(dst, shortMonths[t.Month()-1]...)
			default:
				dst = pad(dst, int64(t.Month()), n)
			}
		case 'd':
			dst = pad(dst, int64(t.Day()), n)
		case 'a':
			if t.Hour() < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'K':
			dst = pad(dst, int64(t.Hour()%12), n)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = pad(dst, int64(h), n)
		case 'H':
			dst = pad(dst, int64(t.Hour()), n)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			dst = pad(dst, int64(h), n)
		case 'm':
			dst = pad(dst, int64(t.Minute()), n)
		case 's':
			dst = pad(dst, int64(t.Second()), n)
		case 'S':
			// Fraction of second: the milliseconds' first n digits (zeros beyond).
			frac := fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
			for len(frac) < n {
				frac += "0"
			}
			dst = append(dst, frac[:n]...)
		case 'z':
			name, _ := t.Zone()
			dst = append(dst, name...)
		case 'Z':
			_, off := t.Zone()
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			dst = append(dst, sign)
			dst = pad(dst, int64(off/3600), 2)
			if n >= 2 {
				dst = append(dst, ':')
			}
			dst = pad(dst, int64(off%3600/60), 2)
		}
	}
	return dst
}

func yearOfEra(t time.Time) int {
	if y := t.Year(); y <= 0 {
		return 1 - y
	}
	return t.Year()
}

// year prints a year as Joda-Time does: two letters are the last two digits, more are
// the year padded to that width.
func year(dst []byte, y int64, n int) []byte {
	if n == 2 {
		v := y % 100
		if v < 0 {
			v = -v
		}
		return pad(dst, v, 2)
	}
	return pad(dst, y, n)
}

// pad appends v in decimal, zero-padded to width digits.
func pad(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// loadZone reads a timezone as Joda-Time's DateTimeZone.forID: UTC, an IANA name, or an
// offset +hh:mm / -hh:mm.
func loadZone(id string) (*time.Location, error) {
	if id == "UTC" || id == "Z" {
		return time.UTC, nil
	}
	if len(id) > 1 && (id[0] == '+' || id[0] == '-') {
		hm := strings.SplitN(id[1:], ":", 2)
		h, err1 := strconv.Atoi(hm[0])
		m := 0
		var err2 error
		if len(hm) == 2 {
			m, err2 = strconv.Atoi(hm[1])
		}
		if err1 != nil || err2 != nil || h > 23 || m > 59 || h < 0 || m < 0 {
			return nil, fmt.Errorf("The datetime zone id '%s' is not recognised", id)
		}
		off := h*3600 + m*60
		if id[0] == '-' {
			off = -off
		}
		return time.FixedZone(id, off), nil
	}
	loc, err := time.LoadLocation(id)
	if err != nil || id == "" || id == "Local" {
		return nil, fmt.Errorf("The datetime zone id '%s' is not recognised", id)
	}
	return loc, nil
}

// bucketStart returns the start of the partition of duration d that ms falls in, in loc,
// as TimeBasedPartitioner.getPartition: the local time is truncated to a multiple of d,
// then read back as a time in loc.
func bucketStart(ms, d int64, loc *time.Location) time.Time {
	_, off := time.UnixMilli(ms).In(loc).Zone()
	local := ms + int64(off)*1000
	q := local / d * d // Java's division truncates toward zero
	w := time.UnixMilli(q).UTC()
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
}

// nextScheduled returns the next wall-clock time after now (ms) that is a multiple of
// interval past midnight in loc, as storage-common's DateTimeUtils.getNextTimeAdjustedByDay.
func nextScheduled(now, interval int64, loc *time.Location) int64 {
	t := time.UnixMilli(now).In(loc)
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	day := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc).Sub(start).Milliseconds()
	midnight := start.UnixMilli()
	return midnight + min(((now-midnight)/interval+1)*interval, day)
}
