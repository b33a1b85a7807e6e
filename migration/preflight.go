package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// UsageError is a refusal the operator can fix by changing the command or the
// server (as opposed to a failure during the migration). cmd maps both to a
// non-zero exit; the message says what to do.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, args...)}
}

// connect opens the inspected server and, when it is a replica, the primary
// that doppel writes to.
func (m *migrator) connect(ctx context.Context) error {
	m.inspectCfg = m.serverConfig(m.cfg.Host, m.cfg.Port, m.cfg.Database)
	db, err := dbconn.Open(ctx, m.serverConfig(m.cfg.Host, m.cfg.Port, ""))
	if err != nil {
		return connectError(err, m.inspectCfg)
	}
	m.inspect = db
	if m.flavor, err = binlog.DetectFlavor(ctx, db); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "SELECT @@version").Scan(&m.version); err != nil {
		return fmt.Errorf("read server version: %w", err)
	}

	primary, err := m.findPrimary(ctx)
	if err != nil {
		return err
	}
	m.isReplica = primary != nil
	switch {
	case m.cfg.TestOnReplica || m.cfg.MigrateOnReplica:
		if !m.isReplica && m.cfg.AssumeMasterHost == "" {
			flag := "--test-on-replica"
			if m.cfg.MigrateOnReplica {
				flag = "--migrate-on-replica"
			}
			return refuse("%s was given but %s is not a replica (SHOW SLAVE STATUS is empty); point --host at a replica", flag, m.inspectCfg.Addr())
		}
		m.writeCfg = m.inspectCfg
		m.write = m.inspect
	case !m.isReplica:
		if !m.cfg.AllowOnMaster {
			return refuse("%s is a primary (it replicates from no server); pass --allow-on-master to migrate there, or point --host at a replica", m.inspectCfg.Addr())
		}
		m.writeCfg = m.inspectCfg
		m.write = m.inspect
	default:
		m.writeCfg = *primary
		w, err := dbconn.Open(ctx, m.serverConfig(primary.Host, primary.Port, ""))
		if err != nil {
			return connectError(err, *primary)
		}
		m.write = w
	}
	m.log.Info().Str("inspected", m.inspectCfg.Addr()).Str("writes_to", m.writeCfg.Addr()).
		Str("flavor", m.flavor).Str("version", m.version).Bool("replica", m.isReplica).Msg("connected")
	return m.sizeThreads(ctx)
}

// serverConfig is how this run reaches a server: its credentials, TLS and
// timeout. An empty database opens no default schema.
func (m *migrator) serverConfig(host string, port int, database string) dbconn.Config {
	return dbconn.Config{
		Host: host, Port: port, User: m.cfg.User, Password: m.cfg.Password, Database: database,
		TLS: m.cfg.TLS, Timeout: m.cfg.MySQLTimeout, Sessions: &m.own,
	}
}

func connectError(err error, c dbconn.Config) error {
	switch {
	case dbconn.ErrorNumber(err) == dbconn.ErAccessDenied && c.TLS == nil:
		return refuse("cannot log in to %s as %q: access denied; check --user and --password (or --conf, --ask-pass), and add --ssl if the account requires TLS", c.Addr(), c.User)
	case dbconn.ErrorNumber(err) == dbconn.ErAccessDenied:
		return refuse("cannot log in to %s as %q: access denied; check --user and --password (or --conf, --ask-pass), and --ssl-cert/--ssl-key if the account requires a client certificate", c.Addr(), c.User)
	case dbconn.IsTLSVerifyError(err) && c.TLS.RootCAs == nil:
		return refuse("cannot connect to %s over TLS: the server's certificate is not trusted: %v; give the CA that signed it with --ssl-ca (or skip verification with --ssl-allow-insecure)", c.Addr(), err)
	case dbconn.IsTLSVerifyError(err):
		return refuse("cannot connect to %s over TLS: the server's certificate is not trusted: %v; check that --ssl-ca is the CA that signed it and that the certificate names the host as given (or skip verification with --ssl-allow-insecure)", c.Addr(), err)
	case dbconn.IsNoTLS(err):
		return refuse("cannot connect to %s over TLS: the server does not offer TLS; enable TLS on the server, or drop --ssl", c.Addr())
	}
	return refuse("cannot connect to %s: %v; check --host and --port and that the server is running", c.Addr(), err)
}

// findPrimary returns the primary of the inspected server, or nil when it
// replicates from no one. --assume-master-host wins over discovery.
func (m *migrator) findPrimary(ctx context.Context) (*dbconn.Config, error) {
	if h := m.cfg.AssumeMasterHost; h != "" {
		host, port := h, 3306
		if hp, p, err := net.SplitHostPort(h); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, refuse("--assume-master-host=%q: port %q is not a number", h, p)
			}
			host, port = hp, n
		}
		c := m.serverConfig(host, port, m.cfg.Database)
		return &c, nil
	}
	rows, err := m.inspect.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("show slave status: %w (doppel needs the REPLICATION CLIENT / SLAVE MONITOR privilege)", err)
	}
	defer rows.Close()
	status, err := oneRowMap(rows)
	if err != nil || status == nil {
		return nil, err
	}
	port, err := strconv.Atoi(status["Master_Port"])
	if err != nil {
		return nil, fmt.Errorf("show slave status: bad Master_Port %q", status["Master_Port"])
	}
	c := m.serverConfig(status["Master_Host"], port, m.cfg.Database)
	return &c, nil
}

// oneRowMap reads the first row of a SHOW statement into column → value.
func oneRowMap(rows *sql.Rows) (map[string]string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(cols))
	for i, c := range cols {
		out[c] = vals[i].String
	}
	return out, nil
}

// checkBinlog refuses servers whose binlog cannot feed the applier.
func (m *migrator) checkBinlog(ctx context.Context) error {
	var logBin, logSlaveUpdates int
	var format, image string
	err := m.inspect.QueryRowContext(ctx, "SELECT @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image, @@global.log_slave_updates").
		Scan(&logBin, &format, &image, &logSlaveUpdates)
	if err != nil {
		return fmt.Errorf("read binlog settings: %w", err)
	}
	host := m.inspectCfg.Addr()
	if logBin != 1 {
		return refuse("%s has the binary log disabled (log_bin=OFF); doppel reads row events from it: start the server with --log-bin", host)
	}
	if !strings.EqualFold(format, "ROW") && !m.cfg.AssumeRBR {
		return refuse("%s has binlog_format=%s; doppel needs ROW: SET GLOBAL binlog_format='ROW' (and restart replication), or pass --assume-rbr if you know it is ROW", host, format)
	}
	if !strings.EqualFold(image, "FULL") {
		return refuse("%s has binlog_row_image=%s; doppel needs FULL row images: SET GLOBAL binlog_row_image='FULL'", host, image)
	}
	if m.cfg.GTID && m.flavor == "mysql" {
		var mode string
		if err := m.inspect.QueryRowContext(ctx, "SELECT @@global.gtid_mode").Scan(&mode); err != nil {
			return fmt.Errorf("read gtid_mode: %w", err)
		}
		if !strings.EqualFold(mode, "ON") {
			return refuse("--gtid needs gtid_mode=ON on %s (it is %s); drop --gtid to stream by file and position", host, mode)
		}
	}
	if m.write != m.inspect {
		var writeFormat string
		if err := m.write.QueryRowContext(ctx, "SELECT @@global.binlog_format").Scan(&writeFormat); err != nil {
			return fmt.Errorf("read binlog_format of %s: %w", m.writeCfg.Addr(), err)
		}
		if strings.EqualFold(writeFormat, "STATEMENT") {
			// InnoDB allows READ COMMITTED writes only when they are logged
			// as rows, so copy and apply fall back to REPEATABLE READ there,
			// whose gap locks make waits (and rare deadlocks) with the
			// application's writers more likely.
			m.log.Warn().Str("primary", m.writeCfg.Addr()).Msg("the primary logs statements (binlog_format=STATEMENT): copy and apply run under REPEATABLE READ there; ROW or MIXED is better")
		}
	}
	if m.isReplica && logSlaveUpdates != 1 {
		return refuse("%s is a replica with log_slave_updates=OFF, so its binlog lacks the primary's changes; enable log_slave_updates or point --host at the primary with --allow-on-master", host)
	}
	return nil
}

// checkPrivileges names every privilege the account lacks, on both servers.
func (m *migrator) checkPrivileges(ctx context.Context) error {
	need := func(db *sql.DB, host string, required []string, replication bool) error {
		have, err := grants(ctx, db, m.cfg.Database)
		if err != nil {
			return err
		}
		if have["ALL PRIVILEGES"] {
			return nil
		}
		var missing []string
		for _, p := range required {
			if !have[p] {
				missing = append(missing, p)
			}
		}
		if replication {
			if !have["REPLICATION SLAVE"] {
				missing = append(missing, "REPLICATION SLAVE")
			}
			if !have["REPLICATION CLIENT"] && !have["BINLOG MONITOR"] && !have["SUPER"] {
				missing = append(missing, "REPLICATION CLIENT (BINLOG MONITOR on MariaDB)")
			}
		}
		if len(missing) > 0 {
			return refuse("user %q on %s lacks privileges: %s; GRANT them on %s.* (replication ones on *.*)", m.cfg.User, host, strings.Join(missing, ", "), schema.QuoteIdent(m.cfg.Database))
		}
		return nil
	}
	tablePrivs := []string{"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX", "LOCK TABLES"}
	if m.write == m.inspect {
		return need(m.inspect, m.inspectCfg.Addr(), tablePrivs, true)
	}
	if err := need(m.inspect, m.inspectCfg.Addr(), []string{"SELECT"}, true); err != nil {
		return err
	}
	return need(m.write, m.writeCfg.Addr(), tablePrivs, false)
}

// grants returns the privileges the current user holds globally or on database.
func grants(ctx context.Context, db *sql.DB, database string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SHOW GRANTS FOR CURRENT_USER()")
	if err != nil {
		return nil, fmt.Errorf("show grants: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		privs, on, ok := parseGrant(g)
		if !ok || !grantCovers(on, database) {
			continue
		}
		for _, p := range privs {
			have[p] = true
		}
	}
	return have, rows.Err()
}

// parseGrant splits "GRANT a, b ON x.* TO ..." into its privileges and object.
func parseGrant(g string) (privs []string, on string, ok bool) {
	up := strings.ToUpper(g)
	if !strings.HasPrefix(up, "GRANT ") {
		return nil, "", false
	}
	i := strings.Index(up, " ON ")
	j := strings.Index(up, " TO ")
	if i < 0 || j < i {
		return nil, "", false
	}
	for _, p := range strings.Split(g[len("GRANT "):i], ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		if k := strings.Index(p, "("); k >= 0 { // column-level grants do not cover a whole table
			continue
		}
		privs = append(privs, p)
	}
	return privs, strings.TrimSpace(g[i+len(" ON ") : j]), true
}

func grantCovers(on, database string) bool {
	on = strings.ReplaceAll(on, "`", "")
	if on == "*.*" {
		return true
	}
	db, rest, ok := strings.Cut(on, ".")
	return ok && rest == "*" && strings.ReplaceAll(db, `\_`, "_") == database
}

// checkTable loads the original and refuses what doppel cannot migrate.
func (m *migrator) checkTable(ctx context.Context) error {
	t, err := schema.LoadTable(ctx, m.write, m.cfg.Database, m.cfg.Table)
	switch {
	case errors.Is(err, schema.ErrTableNotFound):
		return refuse("table %s.%s does not exist on %s; check --database and --table", m.cfg.Database, m.cfg.Table, m.writeCfg.Addr())
	case errors.Is(err, schema.ErrIsView):
		return refuse("%s.%s is a view; only base tables can be migrated (ALTER the view's definition directly)", m.cfg.Database, m.cfg.Table)
	case errors.Is(err, schema.ErrNotBaseTable):
		return refuse("%s.%s is not a base table (%v); only base tables can be migrated", m.cfg.Database, m.cfg.Table, err)
	case err != nil:
		return fmt.Errorf("load table: %w", err)
	}
	m.orig = t
	if e := strings.ToLower(t.Engine); e != "" && e != strings.ToLower(m.cfg.StorageEngine) {
		return refuse("%s.%s uses engine %s, but --storage-engine=%s; doppel migrates InnoDB tables", m.cfg.Database, m.cfg.Table, t.Engine, m.cfg.StorageEngine)
	}
	if err := m.checkForeignKeys(ctx); err != nil {
		return err
	}
	return m.checkTriggers(ctx)
}

// checkForeignKeys refuses tables other tables reference (swapping would
// leave those pointing at the old table), and tables that reference others
// unless the operator accepts losing those keys.
func (m *migrator) checkForeignKeys(ctx context.Context) error {
	if m.cfg.SkipForeignKeyChecks {
		m.log.Warn().Msg("--skip-foreign-key-checks: not looking for foreign keys; the operator asserts there are none")
		return nil
	}
	fks, err := schema.ForeignKeys(ctx, m.write, m.cfg.Database, m.cfg.Table)
	if err != nil {
		return err
	}
	var parent, child []string
	for _, fk := range fks {
		desc := fmt.Sprintf("%s (%s.%s → %s.%s)", fk.Name, fk.ChildSchema, fk.ChildTable, fk.ParentSchema, fk.ParentTable)
		if fk.ParentSchema == m.cfg.Database && fk.ParentTable == m.cfg.Table {
			parent = append(parent, desc)
		} else {
			child = append(child, desc)
		}
	}
	if len(parent) > 0 {
		return refuse("Parent-side foreign keys are not supported: other tables reference %s.%s (%s); after a swap they would point at the old table. Drop them first",
			m.cfg.Database, m.cfg.Table, strings.Join(parent, ", "))
	}
	if len(child) == 0 {
		return nil
	}
	if !m.cfg.DiscardForeignKeys {
		return refuse("%s.%s has foreign keys: %s; doppel cannot recreate them on the new table. Pass --discard-foreign-keys to migrate without them (the new table will have none), or drop them first",
			m.cfg.Database, m.cfg.Table, strings.Join(child, ", "))
	}
	m.log.Warn().Strs("foreign_keys", child).Msg("--discard-foreign-keys: the migrated table will have no foreign keys")
	return nil
}

// checkNullableKey proves a nullable migration key holds no NULL: rows
// with NULL keys cannot be told apart, so they could be duplicated or lost.
func (m *migrator) checkNullableKey(ctx context.Context) error {
	if m.mapping == nil || !m.mapping.KeyNullable {
		return nil
	}
	var conds []string
	for _, c := range m.mapping.KeyOrig {
		conds = append(conds, schema.QuoteIdent(c)+" IS NULL")
	}
	var n int
	q := fmt.Sprintf("SELECT COUNT(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT 1) x", schema.QuoteTable(m.cfg.Database, m.cfg.Table), strings.Join(conds, " OR "))
	if err := m.write.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("look for NULL keys: %w", err)
	}
	if n > 0 {
		return refuse("the migration key %s of %s.%s has NULL values; rows with NULL keys cannot be migrated safely even with --allow-nullable-unique-key: give the table a NOT NULL unique key",
			m.mapping.KeyName, m.cfg.Database, m.cfg.Table)
	}
	m.log.Warn().Str("key", m.mapping.KeyName).Msg("--allow-nullable-unique-key: migrating on a nullable unique key; it holds no NULL now, and a change that writes one stops the migration")
	return nil
}

// parseAlter reads --alter and refuses ALTERs that cannot run as a shadow copy.
func (m *migrator) parseAlter() error {
	a, err := checkAlter(m.cfg.Alter)
	if err != nil {
		return err
	}
	if a.Table != "" && a.Table != m.cfg.Table {
		return refuse("--alter names table %q but --table is %q; doppel migrates one table per run: make them agree", a.Table, m.cfg.Table)
	}
	m.alter = a
	return nil
}

// alterHint is how a refused --alter is fixed.
const alterHint = `--alter takes the clauses that follow "ALTER TABLE t", e.g. --alter="ADD COLUMN c INT", or one whole ALTER TABLE statement; one ALTER per run`

// ValidateAlter refuses an --alter that does not parse, holds more than one
// statement, changes nothing, or does what a shadow copy cannot (rename the
// table, drop rows with IGNORE), without connecting anywhere: cmd uses it
// to reject a command line before it touches a server.
func ValidateAlter(alter string) error {
	_, err := checkAlter(alter)
	return err
}

func checkAlter(alter string) (*schema.Alter, error) {
	a, err := schema.ParseAlter(alter)
	if err != nil {
		// "alter does not parse: …", "alter is empty": the flag's name first.
		return nil, refuse("--%v; %s", err, alterHint)
	}
	if a.RenamesTable {
		return nil, refuse("the alter statement seems to RENAME the table (to %q); doppel's cut-over is what renames tables: drop the RENAME from --alter", a.NewTableName)
	}
	if a.Ignore {
		return nil, refuse("--alter uses ALTER IGNORE, which drops rows that duplicate a new unique key; doppel never drops rows silently: remove the duplicates first, then run without IGNORE")
	}
	return a, nil
}
