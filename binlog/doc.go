// Package binlog streams row events for the watched tables from a server's
// binary log, as a replica would (go-mysql's BinlogSyncer), and hands them on
// one committed transaction at a time, in commit order.
//
// It never interprets values beyond what go-mysql decodes: the applier owns
// the meaning of a value (signedness, enum labels, charsets) because only it
// knows the table definition the row belongs to.
//
// # What it guarantees
//
//   - One Txn per committed transaction that changed a watched table (closed
//     by an XID event, or by a COMMIT query for non-transactional engines),
//     sent in commit order, with every watched row change in binlog order.
//     Transactions that touch no watched table are read and dropped; their
//     rows are never decoded.
//   - Txn.End is the position just after the commit event: the same file,
//     offset and gtid_binlog_pos (MariaDB) or gtid_executed (MySQL) that
//     SHOW MASTER STATUS reports right after that commit. Resuming a stream
//     at End neither repeats nor skips a transaction. Ends only grow.
//   - A statement logged as text that names a watched table (ALTER, RENAME,
//     TRUNCATE, DROP, DML run with binlog_format=STATEMENT, ...) yields a Txn
//     with DDL set: the migration must stop, since row images after it may
//     not fit the table definition it knows.
//   - Anything that would make rows unreliable is an error, not a guess:
//     partial row images (binlog_row_image must be FULL), MySQL partial JSON
//     updates, XA transactions on watched tables, MySQL compressed
//     transaction payloads (ErrUnsupported).
//   - A broken connection is re-dialled by go-mysql at the exact event it
//     stopped at, even inside a transaction; Run fails after
//     Config.MaxReconnectAttempts failed dials, or at once on an error the
//     server reports (e.g. a purged binlog).
//   - Run returns soon after its context ends, having stopped every goroutine
//     it started (go-mysql's reader included).
//
// # Value types
//
// Each row image is a []any in the table's column order (every column,
// including generated and invisible ones), decoded by go-mysql with
// ParseTime=false, UseDecimal=false and TIMESTAMP rendered in UTC. The table
// is proven against MariaDB by TestDecodedValueTypes.
//
//	column type             Go type   arrives as
//	TINYINT                 int8      the stored bits: UNSIGNED 255 is -1 (uint8(v) restores it)
//	SMALLINT                int16     same; UNSIGNED 65535 is -1
//	MEDIUMINT               int32     sign-extended from 24 bits: UNSIGNED 16777215 is -1 (uint32(v)&0xFFFFFF)
//	INT                     int32     same; UNSIGNED 4294967295 is -1
//	BIGINT                  int64     same; UNSIGNED 18446744073709551615 is -1
//	DECIMAL(p,s)            string    plain digits, exactly s decimals: "0.500", "-1234567.891"
//	FLOAT                   float32
//	DOUBLE                  float64
//	CHAR(n)                 string    raw bytes in the column's charset, trailing spaces removed
//	VARCHAR(n)              string    raw bytes in the column's charset (latin1 'é' is "\xe9")
//	TINYTEXT…LONGTEXT       []byte    raw bytes in the column's charset
//	BINARY(n)               string    trailing 0x00 padding removed: X'6100' is "a"
//	VARBINARY(n)            string    the exact bytes
//	TINYBLOB…LONGBLOB       []byte    the exact bytes
//	ENUM                    int64     1-based index into the definition; 0 for the '' error value
//	SET                     int64     bitmask, bit i set for the i-th member
//	BIT(n)                  int64     the bits as a big-endian number; BIT(64) may be negative
//	DATE                    string    "2024-02-29"; zero date "0000-00-00"
//	TIME                    string    "-838:59:59"
//	TIME(1…6)               string    "12:34:56.789", but "12:00:00" when the fraction is zero
//	DATETIME                string    "2024-01-02 03:04:05"; zero "0000-00-00 00:00:00"
//	DATETIME(1…6)           string    always n decimals: "2024-01-02 03:04:05.000"
//	TIMESTAMP[(n)]          string    as DATETIME, in UTC whatever the server's time zone
//	YEAR                    int       2024; 0 for YEAR 0000 (int, not int64)
//	JSON on MariaDB         []byte    it is LONGTEXT: the text as stored
//	JSON on MySQL           string    go-mysql's re-rendering of the binary JSON, not the original text
//	GEOMETRY                []byte    4-byte SRID then WKB
//	any column, NULL        nil
//
// Values share memory with the event they came from: treat them as read-only.
package binlog
