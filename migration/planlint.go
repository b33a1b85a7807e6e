package migration

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/schema"
)

// LintSampleRows is how many rows of the original the lint's data checks
// read without --lint-full-scan: the first rows of a table scan.
const LintSampleRows = 100_000

// lint runs the lossy-change lint: the two definitions are compared, and
// each change that the data decides is checked against the original's
// rows (a sample, or all with --lint-full-scan) with plain reads.
func (m *migrator) lint(ctx context.Context) ([]plan.Finding, error) {
	in, err := m.lintInput(ctx)
	if err != nil {
		return nil, err
	}
	var out []plan.Finding
	sampled := !m.cfg.LintFullScan
	for _, c := range plan.Lint(in) {
		if c.Probe == nil {
			out = append(out, c.Resolve(false, false, 0))
			continue
		}
		found, err := m.probe(ctx, c.Probe)
		if err != nil {
			return nil, fmt.Errorf("plan: lint %s on %s: %w", c.Clean.Code, c.Clean.Column, err)
		}
		out = append(out, c.Resolve(found, sampled, LintSampleRows))
	}
	return out, nil
}

func (m *migrator) lintInput(ctx context.Context) (plan.Input, error) {
	var in plan.Input
	var err error
	if in.Orig, err = m.definition(ctx, m.orig); err != nil {
		return in, err
	}
	if in.Ghost, err = m.definition(ctx, m.ghost); err != nil {
		return in, err
	}
	shared := map[string]bool{}
	for i, o := range m.mapping.OrigColumns {
		in.Shared = append(in.Shared, plan.Pair{Orig: o, Ghost: m.mapping.GhostColumns[i]})
		shared[strings.ToLower(o)] = true
	}
	for _, c := range m.orig.Columns {
		if !shared[strings.ToLower(c.Name)] && !c.Generated {
			in.Dropped = append(in.Dropped, c.Name)
		}
	}
	in.SetsAutoIncrement = m.alter.SetsAutoIncrement
	return in, nil
}

// definition reads what the lint compares of t's columns, beyond what
// schema.Table holds: defaults, lengths, precisions.
func (m *migrator) definition(ctx context.Context, t *schema.Table) (plan.Definition, error) {
	var d plan.Definition
	type extra struct {
		def                                     sql.NullString
		maxLen, maxBytes, prec, scale, fraction sql.NullInt64
	}
	extras := map[string]extra{}
	rows, err := m.write.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_DEFAULT, CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH,
			NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, t.Schema, t.Name)
	if err != nil {
		return d, fmt.Errorf("plan: columns of %s: %w", t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var e extra
		if err := rows.Scan(&name, &e.def, &e.maxLen, &e.maxBytes, &e.prec, &e.scale, &e.fraction); err != nil {
			return d, fmt.Errorf("plan: columns of %s: %w", t.Name, err)
		}
		extras[strings.ToLower(name)] = e
	}
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("plan: columns of %s: %w", t.Name, err)
	}
	for _, c := range t.Columns {
		e := extras[strings.ToLower(c.Name)]
		pc := plan.Column{Name: c.Name, DataType: c.DataType, ColumnType: strings.ToLower(c.ColumnType), Nullable: c.Nullable,
			Charset: c.Charset, MaxLength: e.maxLen.Int64, MaxBytes: e.maxBytes.Int64, Precision: e.prec.Int64,
			Scale: e.scale.Int64, FracDigits: e.fraction.Int64, Unsigned: c.Unsigned, EnumValues: c.EnumValues,
			AutoIncrement: c.AutoIncrement, Generated: c.Generated}
		if e.def.Valid {
			v := e.def.String
			pc.Default = &v
		}
		d.Columns = append(d.Columns, pc)
	}
	for _, k := range t.Keys {
		if !(k.Unique || k.Primary) || k.Functional || hasPrefix(k) {
			continue // an expression or prefix key is not a plain uniqueness of the columns
		}
		d.Uniques = append(d.Uniques, plan.UniqueKey{Name: k.Name, Columns: k.Columns})
	}
	return d, nil
}

func hasPrefix(k schema.Key) bool {
	for _, n := range k.SubParts {
		if n > 0 {
			return true
		}
	}
	return false
}

// charsetName guards the charset names written into a probe's SQL.
var charsetName = regexp.MustCompile(`^[a-z0-9_]+$`)

// probe answers whether some row of the original (of the sample, without
// --lint-full-scan) has the problem p describes. It reads nothing but
// whether such a row exists.
func (m *migrator) probe(ctx context.Context, p *plan.Probe) (bool, error) {
	cols := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		cols[i] = schema.QuoteIdent(c)
	}
	from := schema.QuoteTable(m.cfg.Database, m.cfg.Table)
	if !m.cfg.LintFullScan {
		from = fmt.Sprintf("(SELECT %s FROM %s LIMIT %d) AS sample", strings.Join(cols, ", "), from, LintSampleRows)
	}
	c := cols[0]
	var cond string
	var args []any
	switch p.Kind {
	case plan.ProbeLonger:
		fn := "CHAR_LENGTH"
		if p.Bytes {
			fn = "LENGTH"
		}
		cond = fmt.Sprintf("%s(%s) > %d", fn, c, p.Limit)
	case plan.ProbeOutOfRange:
		cond = fmt.Sprintf("%s < %s OR %s > %s", c, decimalLiteral(p.Min), c, decimalLiteral(p.Max))
	case plan.ProbeDecimal:
		cond = fmt.Sprintf("ABS(ROUND(%s, %d)) >= 1%s OR %s <> ROUND(%s, %d)", c, p.Scale, strings.Repeat("0", int(p.IntDigits)), c, c, p.Scale)
		if p.Min == "0" {
			cond += fmt.Sprintf(" OR %s < 0", c)
		}
	case plan.ProbeFraction:
		cond = fmt.Sprintf("MICROSECOND(%s) MOD 1%s <> 0", c, strings.Repeat("0", int(6-min(p.Digits, 6))))
	case plan.ProbeCharset:
		from, to := strings.ToLower(p.From), strings.ToLower(p.To)
		if !charsetName.MatchString(from) || !charsetName.MatchString(to) {
			return false, fmt.Errorf("unexpected charset name %q or %q", p.From, p.To)
		}
		cond = fmt.Sprintf("CAST(%s AS BINARY) <> CAST(CONVERT(CONVERT(%s USING %s) USING %s) AS BINARY)", c, c, to, from)
	case plan.ProbeNull:
		cond = c + " IS NULL"
	case plan.ProbeIn:
		cond = c + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(p.Values)), ", ") + ")"
		for _, v := range p.Values {
			args = append(args, v)
		}
	case plan.ProbeDuplicates:
		var notNull []string
		for _, c := range cols {
			notNull = append(notNull, c+" IS NOT NULL")
		}
		q := fmt.Sprintf("SELECT 1 FROM %s WHERE %s GROUP BY %s HAVING COUNT(*) > 1 LIMIT 1", from, strings.Join(notNull, " AND "), strings.Join(cols, ", "))
		return m.exists(ctx, q)
	default:
		return false, fmt.Errorf("unknown probe %q", p.Kind)
	}
	return m.exists(ctx, fmt.Sprintf("SELECT 1 FROM %s WHERE %s LIMIT 1", from, cond), args...)
}

// decimalLiteral keeps a bound the lint computed a plain number.
func decimalLiteral(s string) string {
	if _, err := fmt.Sscan(s, new(float64)); err != nil {
		return "NULL"
	}
	return s
}

func (m *migrator) exists(ctx context.Context, q string, args ...any) (bool, error) {
	var one int
	err := m.write.QueryRowContext(ctx, q, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}
