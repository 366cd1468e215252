package webhookserver

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var _ = Describe("cacheTransform", func() {
	withManagedFields := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "gardenlet"}}}, Data: map[string]string{"k": "v"}}
	}

	It("drops managedFields and keeps the rest", func() {
		obj, err := cacheTransform(nil)(withManagedFields())
		Expect(err).NotTo(HaveOccurred())
		Expect(obj.(*corev1.ConfigMap).ManagedFields).To(BeNil())
		Expect(obj.(*corev1.ConfigMap).Data).To(HaveKeyWithValue("k", "v"))
	})

	It("applies the next transform to the object without managedFields", func() {
		var seen any
		obj, err := cacheTransform(func(o any) (any, error) {
			seen = o
			return o, nil
		})(withManagedFields())
		Expect(err).NotTo(HaveOccurred())
		Expect(seen).To(BeIdenticalTo(obj))
		Expect(seen.(*corev1.ConfigMap).ManagedFields).To(BeNil())
	})
})
