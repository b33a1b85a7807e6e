package binlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/rs/zerolog"
)

func TestSlogBridge(t *testing.T) {
	var buf bytes.Buffer
	log := slogFor(context.Background(), zerolog.New(&buf).Level(zerolog.DebugLevel))
	log.Info("create BinlogSyncer", slog.Any("config", struct{ User string }{"secret-user"}))
	log.With("a", 1).WithGroup("g").Error("retry sync err", slog.Any("error", errors.New("boom")), slog.Int("retryCount", 2))
	out := buf.String()
	for _, want := range []string{`"level":"debug"`, `"source":"go-mysql"`, `"level":"warn"`, `"a":1`, `"g.error":"boom"`, `"g.retryCount":2`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}
	if strings.Contains(out, "secret-user") {
		t.Errorf("the syncer config reached the log: %s", out)
	}

	buf.Reset()
	quiet := slogFor(context.Background(), zerolog.New(&buf).Level(zerolog.InfoLevel))
	quiet.Info("connected")
	if buf.Len() != 0 {
		t.Errorf("go-mysql info logged at info level: %s", buf.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := slogFor(ctx, zerolog.New(&buf).Level(zerolog.InfoLevel))
	stopped.Error("io.ReadFull(header) failed")
	if buf.Len() != 0 {
		t.Errorf("a read error after the stream was cancelled logged above debug: %s", buf.String())
	}
}

func TestDecodeErrorsCarryNoRowBytes(t *testing.T) {
	raw := &replication.EventError{
		Header: &replication.EventHeader{EventType: replication.WRITE_ROWS_EVENTv1, LogPos: 4242},
		Err:    `parse rows event panic boom, data "card 4111-1111", parsed rows {...}`,
		Data:   []byte("card 4111-1111"),
	}
	err := redactEventError(fmt.Errorf("stream: %w", raw))
	if strings.Contains(err.Error(), "4111") {
		t.Errorf("row bytes in %q", err)
	}
	var de *DecodeError
	if !errors.As(err, &de) || de.LogPos != 4242 || de.EventType != "WriteRowsEventV1" || de.Reason != "parse rows event panic boom" {
		t.Errorf("got %#v", err)
	}
	plain := errors.New("connection refused")
	if redactEventError(plain) != plain {
		t.Error("an error without event bytes was rewritten")
	}
}
