package charts_test

import (
	"io/fs"
	"path"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/charts"
)

var _ = Describe("RBAC in every chart", func() {
	It("says, in a comment right above each rule, which code path needs it", func() {
		checked := 0
		Expect(fs.WalkDir(charts.Charts, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) != ".yaml" || !strings.Contains(p, "/templates/") {
				return err
			}
			data, err := fs.ReadFile(charts.Charts, p)
			if err != nil {
				return err
			}
			lines := strings.Split(string(data), "\n")
			inRules := false
			for i, line := range lines {
				switch {
				case line == "rules:":
					inRules = true
				case inRules && line == "- apiGroups:":
					checked++
					Expect(i).To(BeNumerically(">", 0))
					Expect(strings.TrimSpace(lines[i-1])).To(HavePrefix("#"), "%s:%d: an RBAC rule without a comment saying which code path needs it", p, i+1)
				case inRules && !strings.HasPrefix(line, "-") && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "{{"):
					inRules = false
				}
			}
			return nil
		})).To(Succeed())
		Expect(checked).To(BeNumerically(">=", 10), "RBAC rules found in the charts")
	})
})
