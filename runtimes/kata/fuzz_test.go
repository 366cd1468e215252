package kata_test

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

// FuzzDecode decodes and validates arbitrary Kata providerConfigs (seeds in testdata/fuzz/FuzzDecode): it never
// panics, every problem carries a field path below the providerConfig, and a configuration without problems renders
// into a node configuration whose plugin entries hold JSON objects, one runtime handler per RuntimeClass.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"kata.runtime.extensions.config.gardener.cloud/v1alpha1","kind":"KataConfiguration","hypervisors":["fc","qemu"]}`))
	rt := New()
	fldPath := field.NewPath("pc")
	f.Fuzz(func(t *testing.T, providerConfig []byte) {
		cfg, errs := rt.Decode(raw(string(providerConfig)), fldPath)
		for _, err := range errs {
			if err.Field != "pc" && !strings.HasPrefix(err.Field, "pc.") && !strings.HasPrefix(err.Field, "pc[") {
				t.Fatalf("error %q is not below the providerConfig's path", err.Error())
			}
		}
		if cfg == nil {
			if len(errs) == 0 {
				t.Fatalf("nothing to apply, and no problem reported for %q", providerConfig)
			}
			return
		}
		nodeConfig, err := cfg.NodeConfig()
		if err != nil {
			t.Fatalf("a decoded configuration does not render: %v", err)
		}
		handlers := map[string]bool{}
		for _, p := range nodeConfig.Plugins {
			var values map[string]any
			if p.Values == nil || json.Unmarshal(p.Values.Raw, &values) != nil {
				t.Fatalf("plugin %v holds no JSON object", p.Path)
			}
			handlers[p.Path[len(p.Path)-1]] = true
		}
		for _, rc := range cfg.RuntimeClasses() {
			if !handlers[rc.Handler] {
				t.Fatalf("RuntimeClass %s names handler %s, which the node configuration does not add (%v)", rc.Name, rc.Handler, handlers)
			}
		}
		_ = cfg.Warnings()
	})
}
