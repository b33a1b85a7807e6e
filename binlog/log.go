package binlog

import (
	"context"
	"log/slog"

	"github.com/rs/zerolog"
)

// zerologHandler lets go-mysql, which logs through log/slog, write into the
// component's injected zerolog logger instead of slog's global default.
//
// go-mysql logs routine connection steps at Info and every error it then
// handles itself (retries) or hands back to Run at Error; doppel decides what
// is an error, so those arrive one level lower: Info as Debug, Error as Warn.
// Once the stream's context is done, the broken reads go-mysql complains
// about are the shutdown itself, and drop to Debug too.
type zerologHandler struct {
	log    zerolog.Logger
	stream context.Context
	prefix string
	attrs  []slog.Attr
}

func slogFor(stream context.Context, log zerolog.Logger) *slog.Logger {
	return slog.New(&zerologHandler{log: log.With().Str("source", "go-mysql").Logger(), stream: stream})
}

func (h *zerologHandler) levelFor(l slog.Level) zerolog.Level {
	if l >= slog.LevelWarn && h.stream.Err() == nil {
		return zerolog.WarnLevel
	}
	return zerolog.DebugLevel
}

func (h *zerologHandler) Enabled(_ context.Context, l slog.Level) bool {
	lvl := h.levelFor(l)
	return lvl >= h.log.GetLevel() && lvl >= zerolog.GlobalLevel()
}

func (h *zerologHandler) Handle(_ context.Context, r slog.Record) error {
	ev := h.log.WithLevel(h.levelFor(r.Level))
	if ev == nil {
		return nil
	}
	for _, a := range h.attrs {
		ev = addAttr(ev, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		ev = addAttr(ev, h.prefix, a)
		return true
	})
	ev.Msg(r.Message)
	return nil
}

func (h *zerologHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		c.attrs = append(c.attrs, slog.Attr{Key: h.prefix + a.Key, Value: a.Value})
	}
	return &c
}

func (h *zerologHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

func addAttr(ev *zerolog.Event, prefix string, a slog.Attr) *zerolog.Event {
	// The syncer logs its whole configuration once; it holds the user name
	// and connection details, which this component already reports.
	if a.Key == "config" {
		return ev
	}
	v := a.Value.Resolve()
	key := prefix + a.Key
	switch v.Kind() {
	case slog.KindGroup:
		for _, g := range v.Group() {
			ev = addAttr(ev, key+".", g)
		}
		return ev
	case slog.KindString:
		return ev.Str(key, v.String())
	case slog.KindInt64:
		return ev.Int64(key, v.Int64())
	case slog.KindUint64:
		return ev.Uint64(key, v.Uint64())
	case slog.KindFloat64:
		return ev.Float64(key, v.Float64())
	case slog.KindBool:
		return ev.Bool(key, v.Bool())
	case slog.KindDuration:
		return ev.Dur(key, v.Duration())
	case slog.KindTime:
		return ev.Time(key, v.Time())
	}
	if err, ok := v.Any().(error); ok {
		return ev.AnErr(key, err)
	}
	return ev.Str(key, v.String())
}
