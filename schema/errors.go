package schema

import "errors"

// Sentinel errors callers decide on with errors.Is.
var (
	// ErrTableNotFound: the table, or its database, does not exist.
	ErrTableNotFound = errors.New("table not found")
	// ErrIsView: the name is a view; only base tables can be migrated.
	ErrIsView = errors.New("table is a view")
	// ErrNotBaseTable: the name is something else that is not a base table
	// (a MariaDB sequence, a system view).
	ErrNotBaseTable = errors.New("not a base table")

	// ErrAlterSyntax: the ALTER does not parse.
	ErrAlterSyntax = errors.New("alter does not parse")
	// ErrEmptyAlter: the ALTER holds no change at all.
	ErrEmptyAlter = errors.New("alter is empty")

	// ErrRenameNeedsApproval: the ALTER renames columns and the user has not
	// said whether to copy them.
	ErrRenameNeedsApproval = errors.New("alter renames columns")
	// ErrNoSharedKey: no unique key can identify a row in both tables.
	ErrNoSharedKey = errors.New("no shared unique key")
)
