package tryit_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/tryit"
)

var _ = Describe("reading the walkthrough from the README", func() {
	It("takes the console blocks of the try-it regions only, with continued commands and their output", func() {
		readme := "```console\n$ outside\n```\n" +
			"<!-- try-it: a comment\nthat goes on -->\n" +
			"```yaml\nkind: Pod\n```\n" +
			"```console\n$ first \\\n    --flag\nline 1\nline 2\n$ second\n```\n" +
			"<!-- /try-it -->\n" +
			"```console\n$ after\n```\n" +
			"<!-- try-it -->\n```console\n$ third\n```\n<!-- /try-it -->\n"
		steps, err := tryit.Parse(readme)
		Expect(err).NotTo(HaveOccurred())
		Expect(steps).To(Equal([]tryit.Step{
			{Command: "first \\\n    --flag", Output: []string{"line 1", "line 2"}, Line: 10},
			{Command: "second", Line: 14},
			{Command: "third", Line: 22},
		}))
	})

	DescribeTable("refuses a README it cannot read",
		func(readme string) {
			_, err := tryit.Parse(readme)
			Expect(err).To(HaveOccurred())
		},
		Entry("an unclosed region", "<!-- try-it -->\n```console\n$ a\n```\n"),
		Entry("output before a command", "<!-- try-it -->\n```console\noutput\n```\n<!-- /try-it -->\n"),
		Entry("a block ending in a continued command", "<!-- try-it -->\n```console\n$ a \\\n```\n<!-- /try-it -->\n"),
	)

	It("compares output without the API server's port, trailing blanks and trailing empty lines", func() {
		Expect(tryit.Normalize([]string{"at https://127.0.0.1:41739/; ok ", "", ""})).To(Equal(tryit.Normalize([]string{"at https://127.0.0.1:38661/; ok"})))
		Expect(tryit.Normalize([]string{"gvisor"})).NotTo(Equal(tryit.Normalize([]string{"kata-qemu"})))
	})

	DescribeTable("expects a non-zero exit status exactly for quoted refusals",
		func(output []string, refusal bool) {
			Expect(tryit.ExpectsFailure(output)).To(Equal(refusal))
		},
		Entry("a webhook's denial", []string{`Error from server (Forbidden): admission webhook "x" denied the request: ...`}, true),
		Entry("a denial after a warning", []string{"Warning: the sandbox ...", "Error from server (Forbidden): ..."}, true),
		Entry("an invalid object", []string{`The Shoot "refused" is invalid: `, "* spec...."}, true),
		Entry("a created object", []string{"pod/app created"}, false),
		Entry("no output", nil, false),
	)
})
