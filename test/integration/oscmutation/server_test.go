package oscmutation_test

import (
	"crypto/tls"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The seed component's webhook server", func() {
	It("speaks HTTP/1.1 only, as kube-apiserver does with webhooks outside of loopback, even when a client offers HTTP/2", func() {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(seed.URL, "https://"), &tls.Config{
			InsecureSkipVerify: true, //nolint:gosec // only reads the negotiated protocol
			NextProtos:         []string{"h2", "http/1.1"},
		})
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		Expect(conn.ConnectionState().NegotiatedProtocol).To(Equal("http/1.1"))
	})
})
