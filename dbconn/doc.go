// Package dbconn opens connection pools the way every doppel component needs
// them (utf8mb4, UTC session time zone, bounded timeouts) and classifies MySQL
// errors by number so callers decide on retries from facts, not message text.
//
// It imports no other doppel package.
package dbconn
