package tryit

import (
	"fmt"
	"regexp"
	"strings"
)

// Markers of the README regions whose commands the test runs; a region ends at the next end marker.
const (
	beginMarker = "<!-- try-it"
	endMarker   = "<!-- /try-it -->"
)

// RunLocal is the command whose quoted output is run-local's terminal: the test starts the landscape itself.
const RunLocal = "make run-local"

// Step is one command of the walkthrough and the output the README quotes for it.
type Step struct {
	// Command is the command as written, continuation lines included.
	Command string
	// Output is the quoted output, one entry per line.
	Output []string
	// Line is the README line of the command.
	Line int
}

// Parse returns the steps of the console blocks in the try-it regions of a README, in order. A console block is a
// fenced block of language console: lines starting with "$ " are commands (a trailing backslash continues one on the
// next line), the lines up to the next command are its output.
func Parse(readme string) ([]Step, error) {
	var (
		steps             []Step
		inRegion, inBlock bool
		continued         bool
	)
	for i, line := range strings.Split(readme, "\n") {
		switch {
		case !inRegion && strings.HasPrefix(line, beginMarker):
			inRegion = true
		case inRegion && !inBlock && line == endMarker:
			inRegion = false
		case inRegion && !inBlock && line == "```console":
			inBlock = true
		case inBlock && line == "```":
			if continued {
				return nil, fmt.Errorf("README.md:%d: the console block ends in a continued command", i+1)
			}
			inBlock = false
		case inBlock && continued:
			steps[len(steps)-1].Command += "\n" + line
			continued = strings.HasSuffix(line, `\`)
		case inBlock && strings.HasPrefix(line, "$ "):
			steps = append(steps, Step{Command: strings.TrimPrefix(line, "$ "), Line: i + 1})
			continued = strings.HasSuffix(line, `\`)
		case inBlock:
			if len(steps) == 0 {
				return nil, fmt.Errorf("README.md:%d: output before the first command of a console block", i+1)
			}
			steps[len(steps)-1].Output = append(steps[len(steps)-1].Output, line)
		}
	}
	if inRegion || inBlock {
		return nil, fmt.Errorf("README.md: a try-it region or console block is not closed")
	}
	return steps, nil
}

// variable matches what differs from run to run: the API server's port.
var variable = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// Normalize returns output as the comparison sees it: without trailing blanks and trailing empty lines, with the
// API server's port replaced.
func Normalize(output []string) string {
	lines := make([]string, 0, len(output))
	for _, line := range output {
		lines = append(lines, variable.ReplaceAllString(strings.TrimRight(line, " \t"), "127.0.0.1:PORT"))
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// ExpectsFailure tells whether the quoted output is a refusal, i.e. the command must exit non-zero.
func ExpectsFailure(output []string) bool {
	for _, line := range output {
		if strings.HasPrefix(line, "Warning: ") {
			continue
		}
		return strings.HasPrefix(line, "Error from server") || strings.HasPrefix(line, "error: ") || strings.HasSuffix(strings.TrimSpace(line), "is invalid:")
	}
	return false
}
