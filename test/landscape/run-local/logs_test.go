package main

import (
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRunLocal(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "run-local suite")
}

var _ = DescribeTable("the log files keep each error on one line",
	func(in, want string) {
		var out strings.Builder
		Expect(withoutStacktraces(&out, strings.NewReader(in))).To(Succeed())
		Expect(out.String()).To(Equal(want))
	},
	Entry("a text error without the frames that follow it",
		"2026-12-02T07:39:52.079Z\tERROR\tReconciler error\t{\"error\": \"conflict\"}\n"+
			"sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller[...]).reconcileHandler\n"+
			"\t/root/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.24.1/pkg/internal/controller/controller.go:494\n"+
			"2026-12-02T07:39:53.322Z\tINFO\tnext\n",
		"2026-12-02T07:39:52.079Z\tERROR\tReconciler error\t{\"error\": \"conflict\"}\n2026-12-02T07:39:53.322Z\tINFO\tnext\n"),
	Entry("a JSON error without its stacktrace field",
		`{"level":"error","msg":"Unhandled Error","error":"a \"quoted\" cause","stacktrace":"k8s.io/apiserver.F\n\t/x.go:1 \"q\"","auditID":"1"}`+"\n",
		`{"level":"error","msg":"Unhandled Error","error":"a \"quoted\" cause","auditID":"1"}`+"\n"),
	Entry("lines without stack traces unchanged",
		"Starting\n{\"level\":\"info\",\"msg\":\"ok\"}\n\n",
		"Starting\n{\"level\":\"info\",\"msg\":\"ok\"}\n\n"),
)
