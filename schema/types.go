package schema

// Column is one column of a table as information_schema describes it.
type Column struct {
	Name          string
	Ordinal       int    // 1-based ORDINAL_POSITION
	DataType      string // lower-case DATA_TYPE: int, varchar, enum, ...
	ColumnType    string // full COLUMN_TYPE: "int(10) unsigned", "enum('a','b')"
	Nullable      bool
	Unsigned      bool
	Charset       string   // CHARACTER_SET_NAME; empty for non-text columns
	EnumValues    []string // labels of an enum or set column, in definition order
	Generated     bool     // virtual or stored generated column: never written
	AutoIncrement bool
}

// Key is an index. Columns are in index order.
type Key struct {
	Name    string
	Columns []string
	Primary bool
	Unique  bool
	// SubParts holds, per column, the indexed prefix length (SUB_PART), or 0
	// when the whole column is indexed.
	SubParts []int
	// Functional is set when a key part is an expression (MySQL 8 functional
	// index); its entry in Columns is then empty.
	Functional bool
}

// Table is the metadata doppel needs about one base table.
type Table struct {
	Schema  string
	Name    string
	Engine  string
	Columns []Column // ordinal order: the order of values in a binlog row image
	Keys    []Key    // PRIMARY first, then unique keys, then the rest
}

// Mapping pairs the columns that both the original and the ghost table hold
// (same data, maybe renamed), and the unique key that identifies a row in both.
type Mapping struct {
	OrigColumns  []string // names in the original table
	GhostColumns []string // the same columns' names in the ghost table, same order
	// Key is the migration key: a unique, NOT NULL key whose columns are all
	// shared. KeyOrig and KeyGhost name its columns in each table.
	KeyName  string
	KeyOrig  []string
	KeyGhost []string
	// GhostKeyName names the ghost table's index over KeyGhost; it differs
	// from KeyName when the ALTER renames or re-creates the key.
	GhostKeyName string
	// KeyNullable is set when a key column of the original is nullable
	// (only with MapOptions.AllowNullableKey).
	KeyNullable bool
}

// ForeignKey is one foreign key constraint, seen from either end.
type ForeignKey struct {
	Name          string // CONSTRAINT_NAME
	ChildSchema   string
	ChildTable    string
	ChildColumns  []string
	ParentSchema  string
	ParentTable   string
	ParentColumns []string
	OnDelete      string // DELETE_RULE: RESTRICT, CASCADE, SET NULL, NO ACTION, SET DEFAULT
	OnUpdate      string // UPDATE_RULE
}

// Alter is what doppel needs to know about the user's ALTER.
//
// Names that refer to columns of the original table (Dropped, the keys of
// Renames and ChangesColumns) are lower-cased, because MySQL matches column
// names case-insensitively; names the ALTER creates (Added, the values of
// Renames) keep the spelling the user wrote, which the ghost table will have.
type Alter struct {
	// Text is the alter clause to append to "ALTER TABLE <ghost> ": the
	// user's text without a leading "ALTER TABLE name", trailing semicolon,
	// trailing comments and surrounding white space.
	Text string
	// Database and Table are set when the user gave a full ALTER TABLE
	// statement: the table it names (Database empty when unqualified).
	Database string
	Table    string
	// Ignore is set by ALTER IGNORE TABLE: the user expects rows that
	// duplicate a new unique key to be dropped.
	Ignore bool

	Renames        map[string]string // old → new column name
	Dropped        []string
	Added          []string
	ChangesColumns map[string]string // old name → new definition, as the parser restores it

	// RenamesTable is set by RENAME [TO|AS] x: callers refuse such an ALTER,
	// since the cut-over is what renames tables.
	RenamesTable bool
	NewTableName string

	AddsPrimaryKey  bool
	DropsPrimaryKey bool
	AddsUniqueKey   bool // ADD UNIQUE, ADD PRIMARY KEY, or a column declared UNIQUE / PRIMARY KEY
	DroppedKeys     []string
	AddsForeignKey  bool
	DropsForeignKey bool
	Engine          string // ENGINE= table option, as written; empty when absent
	// SetsAutoIncrement: the ALTER gives the table an AUTO_INCREMENT value,
	// which then wins over the original's counter.
	SetsAutoIncrement bool
}

// MapOptions are the user's answers to questions Map cannot decide alone.
type MapOptions struct {
	// ApproveRenamed copies a renamed column's data to its new name
	// (gh-ost's --approve-renamed-columns).
	ApproveRenamed bool
	// SkipRenamed leaves renamed columns out of the copy
	// (gh-ost's --skip-renamed-columns).
	SkipRenamed bool
	// AllowNullableKey lets a unique key with nullable columns be the
	// migration key (gh-ost's --allow-nullable-unique-key). It is safe only
	// while no key column holds NULL; Mapping.KeyNullable tells the caller to
	// prove that.
	AllowNullableKey bool
}
