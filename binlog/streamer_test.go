package binlog

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// go-mysql re-arms the read deadline after every packet; when that lands
// after the stream's context ended, the connection must stay expired, or
// closing the stream waits for the next packet from the server.
func TestEndedStreamConnectionStaysExpired(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	s := &Streamer{dial: func(context.Context, string, string) (net.Conn, error) { return client, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := s.dialer(ctx)(context.Background(), "tcp", "pipe")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	cancel()
	read := func(what string) {
		t.Helper()
		done := make(chan error, 1)
		go func() { _, err := conn.Read(make([]byte, 1)); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("%s: read returned %v, want an expired deadline", what, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: read still blocked 5s after the context ended", what)
		}
	}
	read("after cancel")

	for name, set := range map[string]func(time.Time) error{
		"SetReadDeadline": conn.SetReadDeadline,
		"SetDeadline":     conn.SetDeadline,
	} {
		if err := set(time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		read("after " + name + " an hour ahead")
	}
}
