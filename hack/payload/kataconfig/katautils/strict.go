//go:build kataconfig

// This file is added to Kata's katautils package by build-kata.sh when it builds kata-config-check: the strict
// check needs the loader's own (unexported) configuration type, so that "unknown" means unknown to Kata.
package katautils

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"
)

// UndecodedKeys decodes the configuration file at path into the loader's configuration type and returns the keys
// the loader does not know, which LoadConfiguration ignores silently.
func UndecodedKeys(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var conf tomlConfig
	md, err := toml.Decode(string(data), &conf)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	var keys []string
	for _, k := range md.Undecoded() {
		keys = append(keys, k.String())
	}
	return keys, nil
}
