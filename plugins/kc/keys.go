package kc

// Long, Int and Bool read a LONG, INT or BOOLEAN key of a config map as ConfigDef parses
// one, refusing a bad value in ConfigDef's words; an absent or blank key means def.
func Long(cfg map[string]string, key string, def int64) (int64, error) {
	v, ok := cfg[key]
	if !ok || Trim(v) == "" {
		return def, nil
	}
	n, ok := ParseLong(v)
	if !ok {
		return 0, CheckConfigValue(TypeLong, key, v)
	}
	return n, nil
}

// Int reads an INT key; see Long.
func Int(cfg map[string]string, key string, def int) (int, error) {
	v, ok := cfg[key]
	if !ok || Trim(v) == "" {
		return def, nil
	}
	n, ok := ParseInt(v)
	if !ok {
		return 0, CheckConfigValue(TypeInt, key, v)
	}
	return int(n), nil
}

// Bool reads a BOOLEAN key; see Long.
func Bool(cfg map[string]string, key string, def bool) (bool, error) {
	v, ok := cfg[key]
	if !ok || Trim(v) == "" {
		return def, nil
	}
	b, ok := ParseBool(v)
	if !ok {
		return false, CheckConfigValue(TypeBoolean, key, v)
	}
	return b, nil
}
