package migration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/doppel-dev/doppel/schema"
)

// ghostTrigger is an original trigger as it will be created on the ghost.
type ghostTrigger struct {
	schema.Trigger
	ghostName string
}

// ghostTriggerName is gh-ost's rule: the suffix is appended, unless the name
// already ends with it and removal was asked for, in which case it is
// removed, so that alternating migrations do not grow names.
func ghostTriggerName(name, suffix string, removeIfExists bool) string {
	if removeIfExists && strings.HasSuffix(name, suffix) && len(name) > len(suffix) {
		return strings.TrimSuffix(name, suffix)
	}
	return name + suffix
}

// checkTriggers refuses a table with triggers unless they are to be
// recreated, and then proves before any work that every new name is valid and
// free.
func (m *migrator) checkTriggers(ctx context.Context) error {
	trg, err := schema.Triggers(ctx, m.write, m.cfg.Database, m.cfg.Table)
	if err != nil {
		return err
	}
	if len(trg) == 0 {
		return nil
	}
	names := make([]string, len(trg))
	for i, t := range trg {
		names[i] = t.Name
	}
	if !m.cfg.IncludeTriggers {
		return refuse("%s.%s has triggers (%s); pass --include-triggers --trigger-suffix=<suffix> to recreate them on the new table, or drop them first",
			m.cfg.Database, m.cfg.Table, strings.Join(names, ", "))
	}
	taken, err := m.schemaTriggerNames(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range trg {
		name := ghostTriggerName(t.Name, m.cfg.TriggerSuffix, m.cfg.RemoveTriggerSuffix)
		switch {
		case len([]rune(name)) > maxTableName:
			return refuse("trigger %s would be recreated as %s, longer than %d characters; choose a shorter --trigger-suffix", t.Name, name, maxTableName)
		case taken[strings.ToLower(name)] || seen[strings.ToLower(name)]:
			return refuse("trigger %s would be recreated as %s, but a trigger of that name already exists in %s; choose another --trigger-suffix", t.Name, name, m.cfg.Database)
		}
		seen[strings.ToLower(name)] = true
		m.triggers = append(m.triggers, ghostTrigger{Trigger: t, ghostName: name})
	}
	m.log.Info().Strs("triggers", names).Msg("triggers will be recreated on the new table at cut-over")
	return nil
}

// schemaTriggerNames lists every trigger name in the database: trigger
// names are unique per schema, not per table.
func (m *migrator) schemaTriggerNames(ctx context.Context) (map[string]bool, error) {
	rows, err := m.write.QueryContext(ctx, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", m.cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("list triggers: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[strings.ToLower(n)] = true
	}
	return out, rows.Err()
}

// createGhostTriggers runs while the applier is held: a trigger on the
// ghost must never fire for a replayed change, which already carries the
// trigger's effects from the original.
// On MySQL's cut-over path lockConn holds the ghost's write lock and must be
// the session that creates them; otherwise a connection of its own is used.
func (m *migrator) createGhostTriggers(ctx context.Context, lockConn *sql.Conn) error {
	if len(m.triggers) == 0 {
		return nil
	}
	conn := lockConn
	if conn == nil {
		c, err := m.write.Conn(ctx)
		if err != nil {
			return fmt.Errorf("create triggers: %w", err)
		}
		defer c.Close()
		conn = c
	} else {
		var mode string
		if err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
			return fmt.Errorf("create triggers: %w", err)
		}
		defer conn.ExecContext(ctx, "SET SESSION sql_mode = ?", mode)
	}
	for _, t := range m.triggers {
		// A body means what it meant under the mode it was written in.
		if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = ?", t.SQLMode); err != nil {
			return fmt.Errorf("create trigger %s: %w", t.ghostName, err)
		}
		q := fmt.Sprintf("CREATE TRIGGER %s %s %s ON %s FOR EACH ROW %s", schema.QuoteTable(m.cfg.Database, t.ghostName),
			t.Timing, t.Event, schema.QuoteTable(m.cfg.Database, m.names.ghost), t.Statement)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create trigger %s on the ghost: %w", t.ghostName, err)
		}
	}
	m.log.Info().Int("triggers", len(m.triggers)).Msg("triggers created on the ghost")
	return nil
}

// dropGhostTriggers undoes createGhostTriggers before the applier resumes.
func (m *migrator) dropGhostTriggers(ctx context.Context) error {
	for _, t := range m.triggers {
		if _, err := m.write.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+schema.QuoteTable(m.cfg.Database, t.ghostName)); err != nil {
			return fmt.Errorf("drop trigger %s from the ghost: %w", t.ghostName, err)
		}
	}
	return nil
}
