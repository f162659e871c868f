// Package kc owns Kafka Connect's value semantics that the kernel and the plugin SDK
// both need, written once so both sides agree to the character: how ConfigDef parses a
// BOOLEAN, INT, SHORT, LONG, DOUBLE or LIST value and words the error when it cannot
// (ParseBool, ParseInt, ParseList, CheckConfigValue), Java's String.trim, Java's
// Double.toString and Float.toString (FormatDouble, AppendDouble), the two's complement
// bytes and BigDecimal.toString of a Connect Decimal, and Kafka's exponential backoff
// schedule (Backoff).
//
// kc is a leaf: it imports only the standard library and must never import anything of
// this repository (no kernel package, no plugins/sdk, no generated protobuf code), so
// that both the kernel and every connector can import it without pulling in the other.
// Its functions are pure: no I/O, no clocks, no global state.
package kc
