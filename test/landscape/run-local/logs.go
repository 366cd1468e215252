package main

import (
	"bufio"
	"io"
	"regexp"
	"strings"
)

// jsonStacktrace matches the stacktrace field of a JSON log line (gardener-apiserver's, gardener-resource-manager's).
var jsonStacktrace = regexp.MustCompile(`,"stacktrace":"(?:[^"\\]|\\.)*"`)

// withoutStacktraces copies log lines from r to w without the stack traces that the loggers add to every error
// (also to expected ones: a conflict retried, a request the client gave up on), so that each error is one line: in
// JSON lines the stacktrace field is dropped; in text lines (the extension's components) the frame lines that
// follow an error are, i.e. lines that start with a tab and lines without blanks that name a Go function.
func withoutStacktraces(w io.Writer, r io.Reader) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for scanner.Scan() {
		line := scanner.Text()
		if isFrame(line) {
			continue
		}
		if strings.HasPrefix(line, "{") {
			line = jsonStacktrace.ReplaceAllString(line, "")
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return scanner.Err()
}

// isFrame tells whether a text line is a line of a Go stack trace: `\t/path/file.go:123` or `pkg.(*T).Method`.
func isFrame(line string) bool {
	if strings.HasPrefix(line, "\t") {
		return true
	}
	return line != "" && !strings.HasPrefix(line, "{") && !strings.ContainsAny(line, " \t") && strings.Contains(line, ".")
}
