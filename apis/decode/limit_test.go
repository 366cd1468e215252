package decode_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	. "github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
)

var _ = Describe("Limit", func() {
	flags := field.NewPath("providerConfig", "configFlags")

	errorsFor := func(n int) field.ErrorList {
		var errs field.ErrorList
		for i := range n {
			errs = append(errs, field.NotSupported(flags.Key(fmt.Sprintf("f%02d", i)), fmt.Sprintf("f%02d", i), []string{"debug"}))
		}
		return errs
	}

	DescribeTable("shows at most MaxShown errors, in order, and counts the rest",
		func(n, wantShown, wantOmitted int) {
			errs := errorsFor(n)
			shown, omitted := Limit(errs)
			Expect(shown).To(HaveLen(wantShown))
			Expect(omitted).To(Equal(wantOmitted))
			Expect(shown).To(Equal(errs[:wantShown]))
		},
		Entry("none", 0, 0, 0),
		Entry("a few", 3, 3, 0),
		Entry("exactly MaxShown", MaxShown, MaxShown, 0),
		Entry("one more than MaxShown", MaxShown+1, MaxShown, 1),
		Entry("thousands", 5000, MaxShown, 5000-MaxShown),
	)

	It("cuts a huge key in the field path, the bad value and the detail, saying how much", func() {
		key := strings.Repeat("k", 1<<20)
		errs := field.ErrorList{
			field.NotSupported(flags.Key(key), key, []string{"debug"}),
			field.Forbidden(field.NewPath("providerConfig").Child(key), fmt.Sprintf("unknown field %q", key)),
		}
		shown, _ := Limit(errs)
		Expect(shown).To(HaveLen(2))
		for _, err := range shown {
			Expect(len(err.Field)).To(BeNumerically("<", MaxLength+50))
			Expect(len(err.Detail)).To(BeNumerically("<", MaxLength+50))
			Expect(len(err.Error())).To(BeNumerically("<", 4*MaxLength))
		}
		Expect(shown[0].Field).To(HavePrefix("providerConfig.configFlags[kkk"))
		Expect(shown[0].Field).To(HaveSuffix(fmt.Sprintf("... (%d more bytes not shown)", len(flags.Key(key).String())-MaxLength)))
		Expect(shown[0].BadValue).To(HaveSuffix(fmt.Sprintf("... (%d more bytes not shown)", len(key)-MaxLength)))
		Expect(shown[1].Detail).To(HavePrefix(`unknown field "kkk`))
		By("leaving the errors it was given unchanged")
		Expect(errs[0].BadValue).To(Equal(key))
	})

	It("renders a huge structured bad value as shortened JSON and keeps small ones as they are", func() {
		huge := map[string]any{"enabled": strings.Repeat("x", 10*MaxLength)}
		small := map[string]any{"enabled": "true"}
		shown, _ := Limit(field.ErrorList{
			field.Invalid(flags.Key("debug"), huge, "must be a string, not an object"),
			field.Invalid(flags.Key("nvproxy"), small, "must be a string, not an object"),
			field.Invalid(flags.Key("net-raw"), true, "must be a string, not a boolean"),
		})
		Expect(shown[0].BadValue).To(And(HavePrefix(`{"enabled":"xxx`), HaveSuffix("more bytes not shown)")))
		Expect(shown[1].BadValue).To(Equal(small))
		Expect(shown[2].BadValue).To(BeTrue())
	})

	It("cuts at a character boundary", func() {
		value := "a" + strings.Repeat("ä", MaxLength)
		shown, _ := Limit(field.ErrorList{field.Invalid(flags, value, "x")})
		cut := strings.TrimSuffix(shown[0].BadValue.(string), fmt.Sprintf("... (%d more bytes not shown)", len(value)-MaxLength+1))
		Expect(cut).To(Equal(value[:MaxLength-1]))
	})

	Describe("LimitedError", func() {
		It("is nil for no errors", func() {
			Expect(LimitedError(nil)).To(Succeed())
		})

		It("lists the shown errors and says how many more there are", func() {
			err := LimitedError(errorsFor(MaxShown + 5))
			Expect(err).To(MatchError(And(
				ContainSubstring("providerConfig.configFlags[f19]"),
				Not(ContainSubstring("providerConfig.configFlags[f20]")),
				HaveSuffix("; 5 more problems not shown: fix the ones above and try again to see them"),
			)))
		})
	})
})
