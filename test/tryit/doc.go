// Package tryit tests the README's walkthrough: it starts what `make run-local` starts, runs every command between
// the README's try-it markers as written, in one shell, and compares each command's output with what the README
// quotes below it.
package tryit
