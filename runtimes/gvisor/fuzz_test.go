package gvisor_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/gvisor"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// FuzzDecode decodes and validates arbitrary gVisor providerConfigs (seeds in testdata/fuzz/FuzzDecode): it never
// panics, every problem carries a field path below the providerConfig, no problems means something to apply, and
// whatever it returns to apply renders into a node configuration.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"gvisor.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"GVisorConfiguration","configFlags":{"debug":"true"}}`))
	rt := New()
	fldPath := field.NewPath("pc")
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg, errs := rt.Decode(&runtime.RawExtension{Raw: raw}, fldPath)
		for _, err := range errs {
			if err.Field != "pc" && !strings.HasPrefix(err.Field, "pc.") && !strings.HasPrefix(err.Field, "pc[") {
				t.Fatalf("error %q is not below the providerConfig's path", err.Error())
			}
		}
		if cfg == nil {
			if len(errs) == 0 {
				t.Fatalf("nothing to apply, and no problem reported for %q", raw)
			}
			return
		}
		nodeConfig, err := cfg.NodeConfig()
		if err != nil {
			t.Fatalf("a decoded configuration does not render: %v", err)
		}
		checkNodeConfig(t, nodeConfig)
		_ = cfg.Warnings()
		_ = cfg.RuntimeClasses()
	})
}

// FuzzRunscConfig renders runsc.toml and the runsc handler from arbitrary flags, validated or not: rendering never
// panics, and what it renders parses back to the flags (with the debug log location when debug is on).
func FuzzRunscConfig(f *testing.F) {
	f.Add("debug", "true", "net-raw", "false")
	f.Add("panic-signal", "12", "nvproxy", "true")
	f.Add("key with \"quotes\" and\nnewline", "value\x00with NUL", "ключ", "\u200b")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		flags := map[string]string{k1: v1, k2: v2}
		cfg := &v1alpha1.GVisorConfiguration{ConfigFlags: maps.Clone(flags)}
		content, err := RunscConfig(cfg)
		if err != nil {
			// Only what TOML cannot hold is refused; validation never lets such flags through.
			if utf8.ValidString(k1) && utf8.ValidString(v1) && utf8.ValidString(k2) && utf8.ValidString(v2) {
				t.Fatalf("flags %v not rendered: %v", flags, err)
			}
			return
		}
		var parsed map[string]map[string]string
		if err := toml.Unmarshal(content, &parsed); err != nil {
			t.Fatalf("runsc.toml does not parse back: %v\n%s", err, content)
		}
		want := maps.Clone(flags)
		if want[v1alpha1.FlagDebug] == v1alpha1.FlagValueTrue {
			want["debug-log"] = DebugLog
		}
		if !maps.Equal(parsed["runsc_config"], want) {
			t.Fatalf("runsc.toml holds %v, want %v\n%s", parsed["runsc_config"], want, content)
		}
		if !maps.Equal(cfg.ConfigFlags, flags) {
			t.Fatalf("rendering changed the configuration's flags to %v", cfg.ConfigFlags)
		}
		nodeConfig, err := NodeConfig(cfg)
		if err != nil {
			t.Fatalf("the node configuration does not render: %v", err)
		}
		checkNodeConfig(t, nodeConfig)
	})
}

// checkNodeConfig checks that every plugin entry holds a JSON object and every file decodes.
func checkNodeConfig(t *testing.T, c *node.Config) {
	t.Helper()
	for _, p := range c.Plugins {
		var values map[string]any
		if p.Values == nil || json.Unmarshal(p.Values.Raw, &values) != nil {
			t.Fatalf("plugin %v holds no JSON object", p.Path)
		}
	}
	for _, file := range c.Files {
		if _, err := base64.StdEncoding.DecodeString(file.Content.Inline.Data); err != nil {
			t.Fatalf("file %s: %v", file.Path, err)
		}
	}
}
