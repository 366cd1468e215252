package bench_test

import (
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	extensionscontroller "github.com/gardener/gardener/extensions/pkg/controller"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	. "github.com/gardener/gardener-extension-runtime-sandbox/test/bench"
	"github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
)

var _ = Describe("Statistics", func() {
	ms := func(values ...int) []time.Duration {
		var out []time.Duration
		for _, v := range values {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := func() []time.Duration {
		var out []time.Duration
		for i := 100; i >= 1; i-- {
			out = append(out, time.Duration(i)*time.Millisecond)
		}
		return out
	}

	DescribeTable("Percentile (nearest rank)",
		func(values []time.Duration, p float64, want time.Duration) {
			Expect(Percentile(values, p)).To(Equal(want))
		},
		Entry("none", nil, 50.0, time.Duration(0)),
		Entry("one", ms(7), 99.0, 7*time.Millisecond),
		Entry("p50 of 1..100, unsorted", hundred(), 50.0, 50*time.Millisecond),
		Entry("p99 of 1..100", hundred(), 99.0, 99*time.Millisecond),
		Entry("p100 of 1..100", hundred(), 100.0, 100*time.Millisecond),
		Entry("p99 of 3 is the largest", ms(3, 1, 2), 99.0, 3*time.Millisecond),
	)

	DescribeTable("Median",
		func(values []float64, want float64) { Expect(Median(values)).To(Equal(want)) },
		Entry("none", nil, 0.0),
		Entry("odd count", []float64{5, 1, 3}, 3.0),
		Entry("even count: mean of the middle two", []float64{4, 1, 3, 2}, 2.5),
	)
})

var _ = Describe("Results", func() {
	seq := func(p50 time.Duration) []Figures {
		return []Figures{{P50: p50}, {P50: p50 + time.Millisecond}, {P50: p50}}
	}
	variant := func(key string, p50 time.Duration) VariantResult {
		return VariantResult{Variant: Variant{Key: key}, Sequential: seq(p50)}
	}

	It("prints the headline with the ratios of the median sequential p50s and the load run's figures", func() {
		res := Results{
			E2E: []VariantResult{variant("a", 2*time.Millisecond), variant("b", 3*time.Millisecond), variant("c", 5*time.Millisecond),
				variant("d", 2*time.Millisecond), variant("e", 6*time.Millisecond), variant("f", 3*time.Millisecond), variant("g", 4*time.Millisecond)},
			Headline: &LoadRun{Result: LoadResult{Reviews: 9000, Elapsed: time.Second, P99: 4200 * time.Microsecond, MaxRSS: 61 << 20}},
		}
		Expect(res.HeadlineLine()).To(Equal("bench: c/a=2.50 c/b=1.67 c/g=1.25 d/a=1.00 e/a=3.00 f/b=1.00 rps=9000 p99_ms=4.20 rss_mib=61"))
	})

	It("says n/a for what was not measured", func() {
		res := Results{E2E: []VariantResult{variant("a", 2*time.Millisecond), variant("c", 5*time.Millisecond)}}
		Expect(res.HeadlineLine()).To(Equal("bench: c/a=2.50 c/b=n/a c/g=n/a d/a=n/a e/a=n/a f/b=n/a rps=n/a p99_ms=n/a rss_mib=n/a"))
	})

	It("reports the growth of the live heap per 10 Clusters between the last two steps", func() {
		res := Results{Memory: []MemoryStep{
			{Clusters: 0, Memory: Memory{HeapAlloc: 8 << 20}},
			{Clusters: 100, Memory: Memory{HeapAlloc: 10 << 20}},
			{Clusters: 1000, Memory: Memory{HeapAlloc: 28 << 20}},
		}}
		growth, ok := res.GrowthPer10Clusters()
		Expect(ok).To(BeTrue())
		Expect(growth).To(BeNumerically("~", 0.2, 1e-9))
	})

	It("writes every measured part as Markdown", func() {
		var b strings.Builder
		Results{E2E: []VariantResult{variant("a", 2*time.Millisecond)}, Micro: "goos: linux\nBenchmarkX-2 1 2 ns/op\n"}.WriteMarkdown(&b)
		Expect(b.String()).To(ContainSubstring("| a |"))
		Expect(b.String()).To(ContainSubstring("BenchmarkX-2 1 2 ns/op"))
		Expect(b.String()).NotTo(ContainSubstring("goos"))
	})
})

var _ = Describe("RealisticCluster", func() {
	It("embeds a Shoot whose sandbox pools pass this extension's validation, a large CloudProfile and a Seed", func() {
		cluster, err := RealisticCluster(7)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(cluster.Spec.CloudProfile.Raw)).To(BeNumerically(">", 100<<10))

		s, err := extensionscontroller.ShootFromCluster(cluster)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Status.TechnicalID).To(Equal(cluster.Name))
		Expect(runtimes.OfferedClasses(s)).NotTo(BeEmpty())
		_, errs := shoot.Validate(shoot.Input{Runtimes: runtimes.All(), Shoot: s})
		Expect(errs).To(BeEmpty())

		profile, err := extensionscontroller.CloudProfileFromCluster(cluster)
		Expect(err).NotTo(HaveOccurred())
		Expect(profile.Spec.MachineTypes).NotTo(BeEmpty())
		seed, err := extensionscontroller.SeedFromCluster(cluster)
		Expect(err).NotTo(HaveOccurred())
		Expect(seed.Name).To(Equal("aws-eu1"))
	})
})

var _ = Describe("Variants", func() {
	It("have distinct keys and namespaces, and a, c, d and g, which the headline names", func() {
		keys := map[string]bool{}
		for _, v := range Variants() {
			Expect(keys).NotTo(HaveKey(v.Key))
			keys[v.Key] = true
			Expect(v.Namespace()).To(Equal("bench-" + v.Key))
		}
		for _, r := range HeadlineRatios {
			Expect(keys).To(HaveKey(r.Num))
			Expect(keys).To(HaveKey(r.Den))
		}
	})
})

var _ = Describe("Process figures", func() {
	It("reads this process's CPU time and memory", func() {
		_, err := CPUTime(os.Getpid())
		Expect(err).NotTo(HaveOccurred())
		status, err := ProcStatus(os.Getpid())
		Expect(err).NotTo(HaveOccurred())
		Expect(status["VmRSS"]).To(BeNumerically(">", 0))
		Expect(status["RssAnon"] + status["RssFile"]).To(BeNumerically("<=", status["VmRSS"]+status["RssShmem"]+4096))
	})
})
