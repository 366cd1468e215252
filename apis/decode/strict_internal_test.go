package decode

import (
	"errors"
	"reflect"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation/field"

	gvisorv1alpha1 "github.com/gardener/gardener-extension-runtime-sandbox/apis/gvisor/v1alpha1"
)

var _ = Describe("strict decoding errors", func() {
	fldPath := field.NewPath("providerConfig")
	gvisorType := reflect.TypeFor[gvisorv1alpha1.GVisorConfiguration]()

	DescribeTable("strictFieldPath reads the path from the message when the error does not tell it",
		func(msg, expected string) {
			Expect(strictFieldPath(errors.New(msg))).To(Equal(expected))
		},
		Entry("an unknown field", `unknown field "a.b[0].c"`, "a.b[0].c"),
		Entry("a duplicate field", `duplicate field "configFlags.debug"`, "configFlags.debug"),
		Entry("an escaped quote", `unknown field "a\"b"`, `a"b`),
		Entry("something else", `json: something else`, ""),
		Entry("a broken quote", `unknown field "a`, ""),
	)

	DescribeTable("strictError",
		func(msg string, expected *field.Error) {
			Expect(strictError(errors.New(msg), gvisorType, fldPath)).To(Equal(expected))
		},
		Entry("an unknown field", `unknown field "x.y"`,
			field.Forbidden(fldPath.Child("x", "y"), `unknown field "x.y"; supported fields: "apiVersion", "configFlags", "kind"`)),
		Entry("a duplicate flag", `duplicate field "configFlags.net.raw"`,
			field.Duplicate(fldPath.Child("configFlags").Key("net.raw"), "net.raw")),
		Entry("an error it cannot place", `json: something else`,
			field.Invalid(fldPath, NotShown, "cannot be decoded: json: something else")),
	)
})
