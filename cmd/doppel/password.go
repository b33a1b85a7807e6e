package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// readPassword implements --ask-pass. On a terminal it prompts on stderr and
// reads without echo; otherwise it reads one line from stdin, so a password
// can be piped in (`secret-tool lookup ... | doppel --ask-pass ...`) without
// appearing in the process list.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "MySQL password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		// The terminal swallowed the user's Enter; end the prompt line.
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password from terminal: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("--ask-pass: stdin is not a terminal and holds no password line")
		}
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
