package tryit_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape/local"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/tryit"
)

// repoRoot is the repository's directory, seen from this package's.
const repoRoot = "../.."

// stepDone ends each command's output in the shell's; the exit status follows it.
const stepDone = "@@try-it-step-done@@"

var stepDoneLine = regexp.MustCompile(`^` + stepDone + ` ([0-9]+)$`)

// terminal collects what run-local prints.
type terminal struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.Write(p)
}

func (t *terminal) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Split(strings.TrimRight(t.buf.String(), "\n"), "\n")
}

var _ = Describe("the README's Try it", Ordered, func() {
	var (
		steps   []tryit.Step
		workDir string
		term    = &terminal{}
	)

	BeforeAll(func(ctx SpecContext) {
		readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
		Expect(err).NotTo(HaveOccurred())
		steps, err = tryit.Parse(string(readme))
		Expect(err).NotTo(HaveOccurred())
		Expect(steps).NotTo(BeEmpty(), "the README has no try-it region")
		Expect(steps[0].Command).To(Equal(tryit.RunLocal), "the walkthrough starts with %s", tryit.RunLocal)

		assets := os.Getenv(landscape.AssetsEnv)
		Expect(filepath.Join(assets, "kubectl")).To(BeAnExistingFile(), "kubectl is built by `make kubectl` into %s=%s", landscape.AssetsEnv, assets)

		// The commands run as a user runs them in the repository, with relative paths: a working directory with the
		// repository's examples and binaries, and its own dev/local for the kubeconfig.
		workDir = GinkgoT().TempDir()
		root, err := filepath.Abs(repoRoot)
		Expect(err).NotTo(HaveOccurred())
		assets, err = filepath.Abs(assets)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Symlink(filepath.Join(root, "example"), filepath.Join(workDir, "example"))).To(Succeed())
		Expect(os.MkdirAll(filepath.Join(workDir, ".cache"), 0o755)).To(Succeed())
		Expect(os.Symlink(assets, filepath.Join(workDir, ".cache", "bin"))).To(Succeed())

		By("starting what make run-local starts")
		shootControllers, err := os.Create(filepath.Join(workDir, "gardener-resource-manager.log"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(shootControllers.Close)
		// The landscape's components run until this context ends.
		runCtx, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		l, err := local.Start(runCtx, local.Options{
			Terminal:               term,
			Kubeconfig:             filepath.Join(workDir, "dev", "local", "kubeconfig"),
			KubeconfigShown:        "dev/local/kubeconfig",
			Kubectl:                ".cache/bin/kubectl",
			LogDir:                 "dev/local",
			ShootControllersOutput: shootControllers,
		})
		Expect(err).NotTo(HaveOccurred(), "run-local printed:\n%s", strings.Join(term.lines(), "\n"))
		DeferCleanup(l.Stop)
	}, NodeTimeout(10*time.Minute))

	It("quotes the lines make run-local prints until it is ready", func() {
		Expect(tryit.Normalize(term.lines())).To(Equal(tryit.Normalize(steps[0].Output)))
	})

	It("runs every command as written, and each prints what the README quotes", func(ctx SpecContext) {
		commands := steps[1:]
		var script strings.Builder
		script.WriteString("exec 2>&1 </dev/null\n")
		for _, step := range commands {
			fmt.Fprintf(&script, "%s\nprintf '\\n%s %%d\\n' $?\n", step.Command, stepDone)
		}
		cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
		cmd.Dir = workDir
		cmd.Env = append(withoutKubeconfig(os.Environ()), "KUBECACHEDIR="+filepath.Join(workDir, ".kube", "cache"))
		out, err := cmd.Output()
		Expect(err).NotTo(HaveOccurred(), "the shell failed; it printed:\n%s", out)

		outputs, codes := split(string(out))
		Expect(outputs).To(HaveLen(len(commands)), "every command ran; the shell printed:\n%s", out)
		var mismatches []string
		for i, step := range commands {
			got, want := tryit.Normalize(outputs[i]), tryit.Normalize(step.Output)
			if got != want {
				mismatches = append(mismatches, fmt.Sprintf("README.md:%d: $ %s\nprinted:\n%s\nthe README quotes:\n%s", step.Line, step.Command, got, want))
				continue
			}
			if failed, refused := codes[i] != 0, tryit.ExpectsFailure(step.Output); failed != refused {
				mismatches = append(mismatches, fmt.Sprintf("README.md:%d: $ %s\nexited with %d, the README quotes %s", step.Line, step.Command, codes[i], map[bool]string{true: "a refusal", false: "a success"}[refused]))
			}
		}
		if len(mismatches) > 0 {
			Fail(strings.Join(mismatches, "\n\n"))
		}
	}, SpecTimeout(8*time.Minute))
})

// split returns the output and the exit status of each command of the shell's output.
func split(out string) ([][]string, []int) {
	var (
		outputs [][]string
		codes   []int
		current []string
	)
	for _, line := range strings.Split(out, "\n") {
		if m := stepDoneLine.FindStringSubmatch(line); m != nil {
			code, _ := strconv.Atoi(m[1])
			outputs, codes, current = append(outputs, current), append(codes, code), nil
			continue
		}
		current = append(current, line)
	}
	return outputs, codes
}

func withoutKubeconfig(env []string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, "KUBECONFIG=") && !strings.HasPrefix(e, "KUBECACHEDIR=") {
			out = append(out, e)
		}
	}
	return out
}
